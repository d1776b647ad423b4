import CRDKafka
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
        let groupState = ConsumerGroupState(logger: logger, positioner: positioner)
        self.groupState = groupState
        let usesGroup = configuration.groupId != nil
        self.client = try RDKafkaClient(kind: .consumer, properties: configuration.librdkafkaProperties, logger: logger) { conf in
            if usesGroup {
                rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
            }
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(groupState).toOpaque())
        }
        rd_kafka_poll_set_consumer(client.pointer)
        self.queue = QueueHandle(pointer: rd_kafka_queue_get_consumer(client.pointer))
        self.thread = DedicatedThread(name: "kafka-consumer")
        self.reader = ReaderBox()
    }

    deinit {
        if !closed.isSet {
            thread.shutdown()
            rd_kafka_queue_destroy(queue.pointer)
            client.destroy()
        }
    }

    /// Joins the consumer group and subscribes to `topics`.
    public func subscribe(topics: [String]) throws {
        guard configuration.groupId != nil else {
            throw KafkaError(.subscription, "subscribing needs a group id; use assign(_:) without one")
        }
        let list = TopicPartitionList.make(topics.map { KafkaTopicPartition(topic: $0, partition: -1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_subscribe(client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.subscription, error, context: "subscribe") }
    }

    /// Reads the given partitions from the given offsets (`KafkaOffset`), outside any group.
    public func assign(_ partitions: [KafkaTopicPartition]) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_assign(client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.subscription, error, context: "assign") }
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
        return try await thread.run { [client, queue, reader, logger] in
            var messages: [KafkaConsumerMessage] = []
            guard let first = rd_kafka_consumer_poll(client.pointer, timeoutMilliseconds) else { return messages }
            messages.reserveCapacity(min(maxMessages, 1024))
            try Self.take(first, into: &messages, reader: reader.reader, client: client, logger: logger)
            if maxMessages > 1 {
                let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxMessages - 1)
                defer { buffer.deallocate() }
                let count = rd_kafka_consume_batch_queue(queue.pointer, 0, buffer, maxMessages - 1)
                var failure: (any Error)?
                for index in 0..<max(count, 0) {
                    guard let message = buffer[index] else { continue }
                    if failure != nil { rd_kafka_message_destroy(message); continue }
                    do { try Self.take(message, into: &messages, reader: reader.reader, client: client, logger: logger) }
                    catch { failure = error }
                }
                if let failure { throw failure }
            }
            return messages
        }
    }

    /// Converts and frees one message; error events are logged, fatal ones thrown.
    private static func take(_ message: UnsafeMutablePointer<rd_kafka_message_t>, into messages: inout [KafkaConsumerMessage],
                             reader: MessageReader, client: RDKafkaClient, logger: Logger) throws {
        defer { rd_kafka_message_destroy(message) }
        let error = message.pointee.err
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            messages.append(reader.read(message))
            return
        }
        if error == RD_KAFKA_RESP_ERR__PARTITION_EOF { return }
        if let fatal = client.fatalError() { throw fatal }
        logger.warning("consumer error", metadata: ["error": "\(error.message)",
                                                     "kafka.detail": "\(String(cString: rd_kafka_message_errstr(message)))"])
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
        let list = TopicPartitionList.make(mine)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_offsets_store(client.pointer, list)
        // A partition revoked since the check reports ERR__STATE per entry: it is no longer ours.
        if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__STATE {
            throw KafkaError(.offsets, error, context: "storing offsets")
        }
    }

    /// Commits stored offsets now and waits for the broker's answer.
    public func commit() async throws {
        guard configuration.groupId != nil else { return }
        try await thread.run { [client] in
            let error = rd_kafka_commit(client.pointer, nil, 0)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(.offsets, error, context: "commit")
            }
        }
    }

    /// The committed offsets of the given partitions (the next offset to read, or `KafkaOffset.stored` if none).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition] {
        let milliseconds = Int32(timeout.totalMilliseconds)
        return try await thread.run { [client] in
            let list = TopicPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_committed(client.pointer, list, milliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.offsets, error, context: "committed") }
            return TopicPartitionList.read(list)
        }
    }

    /// Stops fetching from `partitions` until `resume(_:)`; the assignment is kept.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try changeFlow(partitions, pause: true)
    }

    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try changeFlow(partitions, pause: false)
    }

    private func changeFlow(_ partitions: [KafkaTopicPartition], pause: Bool) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = pause ? rd_kafka_pause_partitions(client.pointer, list) : rd_kafka_resume_partitions(client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.consume, error, context: pause ? "pause" : "resume")
        }
    }

    /// Commits stored offsets, leaves the group and frees the client. Safe to call twice.
    public func close() async {
        guard closed.setOnce() else { return }
        _ = try? await thread.run { [client, queue, logger] in
            let error = rd_kafka_consumer_close(client.pointer)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("consumer close reported an error", metadata: ["error": "\(error.message)"])
            }
            rd_kafka_queue_destroy(queue.pointer)
            client.destroy()
        }
        thread.shutdown()
    }
}

/// `@unchecked Sendable`: the queue pointer never changes and librdkafka queues are thread-safe.
struct QueueHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// `@unchecked Sendable`: the reader is used only on the consumer's dedicated thread.
final class ReaderBox: @unchecked Sendable {
    let reader = MessageReader()
}
