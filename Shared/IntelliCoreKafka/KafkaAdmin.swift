import IntelliCoreConcurrency
import Logging

/// A topic to create.
public struct KafkaTopicSpec: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int

    public init(name: String, partitions: Int, replicationFactor: Int = 1) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }
}

/// Topic administration: create topics, read cluster metadata.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let thread = DedicatedThread(name: "kafka-admin")

    public init(bootstrapServers: String, logger: Logger) throws {
        client = try RDKafkaClient(kind: .producer, properties: [
            "bootstrap.servers": bootstrapServers, "client.id": "intellicore-admin", "log.connection.close": "false",
        ], logger: logger)
    }

    deinit {
        thread.shutdown()
        client.destroy()
    }

    /// Creates the topics; ones that already exist are left as they are.
    public func createTopics(_ topics: [KafkaTopicSpec], timeout: Duration = .seconds(30)) async throws {
        let milliseconds = Int32(timeout.totalMilliseconds)
        try await thread.run { [client] in try client.createTopics(topics, timeoutMilliseconds: milliseconds) }
    }

    /// Topic names and their partition counts, as the cluster reports them.
    public func topics(timeout: Duration = .seconds(10)) async throws -> [String: Int] {
        let milliseconds = Int32(timeout.totalMilliseconds)
        return try await thread.run { [client] in try client.topicPartitionCounts(timeoutMilliseconds: milliseconds) }
    }
}
