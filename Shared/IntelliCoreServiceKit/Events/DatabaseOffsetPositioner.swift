import Dispatch
import IntelliCoreKafka
import IntelliCorePostgres
import Logging
import PostgresNIO
import Synchronization

/// Starts newly assigned partitions at the offsets a consumer stored in its own database.
///
/// librdkafka asks during a rebalance, on the consumer's dedicated thread (never the cooperative
/// pool), which therefore waits for the query. When the database cannot answer in time the
/// partitions start at the group's committed offset instead: that offset is never ahead of the
/// database's (it is stored only after the transaction committed), so the fallback can only
/// redeliver, and the inbox makes redelivery a no-op.
struct DatabaseOffsetPositioner: Sendable {
    let store: ConsumerOffsetStore
    let client: PostgresClient
    let logger: Logger
    var timeout: DispatchTimeInterval = .seconds(10)

    init(store: ConsumerOffsetStore, client: PostgresClient, logger: Logger) {
        self.store = store
        self.client = client
        self.logger = logger
    }

    var positioner: KafkaConsumer.AssignmentPositioner {
        { partitions in self.position(partitions) }
    }

    func position(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition] {
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        let wanted = partitions.map { (topic: $0.topic, partition: $0.partition) }
        Task { [store, client, logger] in
            let result: Result<[ConsumerOffsetStore.Position], any Error>
            do { result = .success(try await store.load(wanted, client: client, logger: logger)) } catch { result = .failure(error) }
            answer.value.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success, case .success(let stored)? = answer.value.withLock({ $0 }) else {
            logger.warning("stored offsets unavailable; starting from the group's committed offsets",
                           metadata: ["kafka.partitions": "\(partitions.map(\.description))"])
            return partitions.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.stored) }
        }
        return partitions.map { partition in
            let next = stored.first { $0.topic == partition.topic && $0.partition == partition.partition }?.nextOffset
            return KafkaTopicPartition(topic: partition.topic, partition: partition.partition, offset: next ?? KafkaOffset.stored)
        }
    }
}

/// The query's outcome, handed from the task that ran it to the waiting consumer thread.
private final class Answer: Sendable {
    let value = Mutex<Result<[ConsumerOffsetStore.Position], any Error>?>(nil)
}
