import IntelliCoreConcurrency
import Logging

/// A Kafka consumer with at-least-once semantics.
///
/// Records are fetched in batches on the consumer's own thread. The application stores offsets
/// with `storeOffsets(for:)` after it has processed records; stored offsets are committed in the
/// background, synchronously when partitions are revoked, and on `close()`.
///
/// Rebalancing uses the cooperative-sticky protocol by default: only partitions that move
/// change hands (see docs/adr/0004-kafka-client.md).
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let thread: DedicatedThread
    private let groupState: ConsumerGroupState
    /// The consumer queue; `@unchecked` box because `OpaquePointer` is not `Sendable`.
    private let queue: QueueHandle
    private let reader: ReaderBox
    private let closed = AtomicFlag()
    /// `KafkaRecordBatch`es not yet released: librdkafka asks that they go before its handle.
    private let outstanding = AtomicCounter()
    private let logger: Logger
    public let configuration: KafkaConsumerConfiguration

    /// Says where newly assigned partitions start: called on the consumer's thread during a
    /// rebalance with the partitions just assigned, it returns them with their start offsets
    /// (`KafkaOffset.stored` for the group's committed offset). It may block briefly.
    public typealias AssignmentPositioner = @Sendable ([KafkaTopicPartition]) -> [KafkaTopicPartition]

    /// - Parameter positioner: for consumers that keep their offsets outside Kafka (in the
    ///   transaction of their effects); Kafka's own commits are then informational.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger, positioner: AssignmentPositioner? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let groupState = ConsumerGroupState(logger: logger, positioner: positioner, group: configuration.groupId)
        self.groupState = groupState
        let usesGroup = configuration.groupId != nil
        (self.client, self.queue) = try RDKafkaClient.consumer(properties: configuration.librdkafkaProperties, logger: logger,
                                                               groupState: groupState, usesGroup: usesGroup)
        self.thread = DedicatedThread(name: "kafka-consumer")
        self.reader = ReaderBox()
    }

    deinit {
        if !closed.isSet {
            thread.shutdown()
            client.destroyConsumer(queue: queue)
        }
    }

    /// Joins the consumer group and subscribes to `topics`.
    public func subscribe(topics: [String]) throws {
        guard configuration.groupId != nil else {
            throw KafkaError(.subscription, "subscribing needs a group id; use assign(_:) without one")
        }
        try client.subscribe(topics.map { KafkaTopicPartition(topic: $0, partition: -1) })
        groupState.observe()
    }

    /// How long a subscribed consumer may own no partition before it logs a warning (once per
    /// such period; `intellicore_kafka_assigned_partitions` shows it all the time).
    public static let assignmentPatience = Duration.seconds(60)

    /// Reads the given partitions from the given offsets (`KafkaOffset`), outside any group.
    public func assign(_ partitions: [KafkaTopicPartition]) throws {
        try client.assign(partitions)
        groupState.setAssignment(partitions)
    }

    /// The partitions this consumer currently owns.
    public var assignment: Set<KafkaTopicPartition> { groupState.assignment }

    /// Waits up to `timeout` for records and returns up to `maxMessages` of them.
    ///
    /// Returns as soon as one record is there, with whatever else is already fetched; an empty
    /// array means nothing arrived in time. Rebalance callbacks run inside this call.
    public func poll(maxMessages: Int = 1000, timeout: Duration = .milliseconds(100)) async throws -> [KafkaConsumerMessage] {
        guard !closed.isSet else { throw KafkaError(.closed, "consumer is closed") }
        let timeoutMilliseconds = Int32(timeout.totalMilliseconds)
        let messages = try await thread.run { [client, queue, reader, logger] in
            try client.consume(maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds, queue: queue,
                               reader: reader.reader, logger: logger)
        }
        groupState.observe()
        return messages
    }

    /// `poll` without copying: the records stay in librdkafka's memory until the batch is
    /// released (see `KafkaRecordBatch`). For hot paths that read each record once.
    public func pollBatch(maxMessages: Int = 1000, timeout: Duration = .milliseconds(100)) async throws -> KafkaRecordBatch {
        guard !closed.isSet else { throw KafkaError(.closed, "consumer is closed") }
        let timeoutMilliseconds = Int32(timeout.totalMilliseconds)
        let batch = try await thread.run { [client, queue, reader, outstanding, logger] in
            try client.consumeBatch(maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds, queue: queue,
                                    reader: reader.reader, outstanding: outstanding, logger: logger)
        }
        groupState.observe()
        return batch
    }

    /// Marks a batch's records as processed (see `storeOffsets(for:)` of messages).
    public func storeOffsets(for batch: KafkaRecordBatch) throws {
        try storeOffsets(batch.nextOffsets)
    }

    /// Marks `messages` as processed: the offset after the highest one per partition is stored
    /// and will be committed. Partitions this consumer no longer owns are skipped.
    public func storeOffsets(for messages: [KafkaConsumerMessage]) throws {
        try storeOffsets(Self.nextOffsets(of: messages))
    }

    /// The offset after the highest one per partition in `messages`: what `storeOffsets(for:)` stores.
    public static func nextOffsets(of messages: [KafkaConsumerMessage]) -> [KafkaTopicPartition] {
        var next: [KafkaTopicPartition: Int64] = [:]
        // By position: iterating would copy each record (a retain and release per field).
        for index in messages.indices {
            let key = KafkaTopicPartition(topic: messages[index].topic, partition: messages[index].partition)
            next[key] = max(next[key] ?? 0, messages[index].offset + 1)
        }
        return next.map { KafkaTopicPartition(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
    }

    /// Stores explicit next-offsets (the offset of the next record to read).
    public func storeOffsets(_ offsets: [KafkaTopicPartition]) throws {
        guard !offsets.isEmpty else { return }
        let owned = groupState.assignment
        let mine = offsets.filter { owned.contains(KafkaTopicPartition(topic: $0.topic, partition: $0.partition)) }
        guard !mine.isEmpty else { return }
        try client.storeOffsets(mine)
    }

    /// Commits stored offsets now and waits for the broker's answer.
    public func commit() async throws {
        guard configuration.groupId != nil else { return }
        try await thread.run { [client] in try client.commitStored() }
    }

    /// The committed offsets of the given partitions (the next offset to read, or `KafkaOffset.stored` if none).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition] {
        let milliseconds = Int32(timeout.totalMilliseconds)
        return try await thread.run { [client] in try client.committed(partitions, timeoutMilliseconds: milliseconds) }
    }

    /// Each partition's end: the offset the next record produced to it will get (high watermark).
    public func endOffsets(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition] {
        let milliseconds = Int32(timeout.totalMilliseconds)
        return try await thread.run { [client] in try client.endOffsets(partitions, timeoutMilliseconds: milliseconds) }
    }

    /// Stops fetching from `partitions` until `resume(_:)`; the assignment is kept.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try client.setFlow(partitions, paused: true)
    }

    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try client.setFlow(partitions, paused: false)
    }

    /// Commits stored offsets, leaves the group and frees the client. Safe to call twice.
    public func close() async {
        guard closed.setOnce() else { return }
        if outstanding.current > 0 {
            logger.warning("closing a consumer with record batches not yet released (librdkafka asks that its messages be destroyed first)",
                           metadata: ["batches": "\(outstanding.current)"])
        }
        _ = try? await thread.run { [client, queue, logger] in client.closeConsumer(queue: queue, logger: logger) }
        thread.shutdown()
    }
}
