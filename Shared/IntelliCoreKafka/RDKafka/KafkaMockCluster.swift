import CRDKafka
import Logging

/// librdkafka's built-in mock cluster: a Kafka cluster inside this process, for unit tests of
/// client logic that need no broker. Not for production use.
public final class KafkaMockCluster: Sendable {
    private let client: RDKafkaClient
    /// `host:port,…` of the mock brokers.
    public let bootstrapServers: String
    /// `@unchecked`: the mock cluster pointer is owned by `client` and never changes.
    private let cluster: MockClusterHandle

    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka-mock")) throws {
        client = try RDKafkaClient(kind: .producer, properties: [
            "test.mock.num.brokers": String(brokers), "log.connection.close": "false",
        ], logger: logger)
        guard let cluster = rd_kafka_handle_mock_cluster(client.pointer) else {
            throw KafkaError(.clientCreation, "librdkafka did not create a mock cluster")
        }
        self.cluster = MockClusterHandle(pointer: cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        client.destroy()
    }

    /// Creates a topic with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int) throws {
        let error = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), 1)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.admin, error, context: "mock topic \(name)") }
    }
}

struct MockClusterHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
