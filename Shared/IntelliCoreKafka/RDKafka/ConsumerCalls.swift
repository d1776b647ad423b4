import CRDKafka
import IntelliCoreConcurrency
import Logging

/// The consumer side of librdkafka on one handle. `KafkaConsumer` decides when and on which
/// thread each runs; these do the C calls, own their lists and messages, and map error codes.
extension RDKafkaClient {
    /// A consumer handle whose rebalances go to `groupState` (callback installed when it joins a
    /// group), polled through its consumer queue.
    static func consumer(properties: [String: String], logger: Logger, groupState: ConsumerGroupState,
                         usesGroup: Bool) throws -> (client: RDKafkaClient, queue: QueueHandle) {
        let client = try RDKafkaClient(kind: .consumer, properties: properties, logger: logger) { conf in
            if usesGroup {
                rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
            }
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(groupState).toOpaque())
        }
        rd_kafka_poll_set_consumer(client.pointer)
        return (client, QueueHandle(pointer: rd_kafka_queue_get_consumer(client.pointer)))
    }

    func subscribe(_ partitions: [KafkaTopicPartition]) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_subscribe(pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.subscription, error, context: "subscribe") }
    }

    func assign(_ partitions: [KafkaTopicPartition]) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_assign(pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.subscription, error, context: "assign") }
    }

    /// Blocks up to `timeoutMilliseconds` for one record, then takes what else is fetched, up to
    /// `maxMessages`, copied into `KafkaConsumerMessage`s. Rebalance callbacks run inside.
    func consume(maxMessages: Int, timeoutMilliseconds: Int32, queue: QueueHandle, reader: MessageReader,
                 logger: Logger) throws -> [KafkaConsumerMessage] {
        var messages: [KafkaConsumerMessage] = []
        try poll(maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds, queue: queue, logger: logger) { count in
            messages.reserveCapacity(count)
        } keep: { message in
            messages.append(reader.read(message))
            rd_kafka_message_destroy(message)
        }
        return messages
    }

    /// The same poll, the records left in librdkafka's memory as a `KafkaRecordBatch`.
    func consumeBatch(maxMessages: Int, timeoutMilliseconds: Int32, queue: QueueHandle, reader: MessageReader,
                      outstanding: AtomicCounter, logger: Logger) throws -> KafkaRecordBatch {
        var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        var topicIndexes: [UInt16] = []
        var topicNames: [String] = []
        var handles: [OpaquePointer?] = []
        do {
            try poll(maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds, queue: queue, logger: logger) { count in
                messages.reserveCapacity(count)
                topicIndexes.reserveCapacity(count)
            } keep: { message in
                let handle = message.pointee.rkt
                let index: Int
                if let found = handles.lastIndex(where: { $0 == handle }) {
                    index = found
                } else {
                    index = handles.count
                    handles.append(handle)
                    topicNames.append(reader.topicName(message))
                }
                messages.append(message)
                topicIndexes.append(UInt16(truncatingIfNeeded: index))
            }
        } catch {
            for message in messages { rd_kafka_message_destroy(message) }
            throw error
        }
        return KafkaRecordBatch(messages: messages, topicIndexes: topicIndexes, topicNames: topicNames, outstanding: outstanding)
    }

    /// Blocks up to `timeoutMilliseconds` for one message, then takes what else is fetched, up to
    /// `maxMessages`: each record goes to `keep`, which owns it; error events are logged and
    /// freed, a fatal one is thrown after the rest are freed.
    private func poll(maxMessages: Int, timeoutMilliseconds: Int32, queue: QueueHandle, logger: Logger,
                      reserve: (Int) -> Void, keep: (UnsafeMutablePointer<rd_kafka_message_t>) -> Void) throws {
        guard let first = rd_kafka_consumer_poll(pointer, timeoutMilliseconds) else { return }
        reserve(min(maxMessages, 1024))
        try take(first, logger: logger, keep: keep)
        guard maxMessages > 1 else { return }
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxMessages - 1)
        defer { buffer.deallocate() }
        let count = rd_kafka_consume_batch_queue(queue.pointer, 0, buffer, maxMessages - 1)
        var failure: (any Error)?
        for index in 0..<max(count, 0) {
            guard let message = buffer[index] else { continue }
            if failure != nil { rd_kafka_message_destroy(message); continue }
            do { try take(message, logger: logger, keep: keep) }
            catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Hands a record to `keep`; frees an error event after logging it (throwing a fatal one).
    private func take(_ message: UnsafeMutablePointer<rd_kafka_message_t>, logger: Logger,
                      keep: (UnsafeMutablePointer<rd_kafka_message_t>) -> Void) throws {
        let error = message.pointee.err
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            keep(message)
            return
        }
        defer { rd_kafka_message_destroy(message) }
        if error == RD_KAFKA_RESP_ERR__PARTITION_EOF { return }
        if let fatal = fatalError() { throw fatal }
        logger.warning("consumer error", metadata: ["error": "\(error.message)",
                                                     "kafka.detail": "\(String(cString: rd_kafka_message_errstr(message)))"])
    }

    func storeOffsets(_ offsets: [KafkaTopicPartition]) throws {
        let list = TopicPartitionList.make(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_offsets_store(pointer, list)
        // A partition revoked since the caller's check reports ERR__STATE per entry: it is no longer ours.
        if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__STATE {
            throw KafkaError(.offsets, error, context: "storing offsets")
        }
    }

    /// Commits the stored offsets and waits for the broker (nothing stored is not an error).
    func commitStored() throws {
        let error = rd_kafka_commit(pointer, nil, 0)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(.offsets, error, context: "commit")
        }
    }

    func committed(_ partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32) throws -> [KafkaTopicPartition] {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_committed(pointer, list, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.offsets, error, context: "committed") }
        return TopicPartitionList.read(list)
    }

    /// Each partition's high watermark (the offset the next record will get), asked of the broker.
    func endOffsets(_ partitions: [KafkaTopicPartition], timeoutMilliseconds: Int32) throws -> [KafkaTopicPartition] {
        try partitions.map { partition in
            var low: Int64 = 0, high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(pointer, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.offsets, error, context: "watermarks of \(partition)") }
            return KafkaTopicPartition(topic: partition.topic, partition: partition.partition, offset: high)
        }
    }

    func setFlow(_ partitions: [KafkaTopicPartition], paused: Bool) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = paused ? rd_kafka_pause_partitions(pointer, list) : rd_kafka_resume_partitions(pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.consume, error, context: paused ? "pause" : "resume")
        }
    }

    /// Commits stored offsets, leaves the group, then frees the queue and the handle.
    func closeConsumer(queue: QueueHandle, logger: Logger) {
        let error = rd_kafka_consumer_close(pointer)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close reported an error", metadata: ["error": "\(error.message)"])
        }
        destroyConsumer(queue: queue)
    }

    /// Frees the queue and the handle without leaving the group (a consumer never closed).
    func destroyConsumer(queue: QueueHandle) {
        rd_kafka_queue_destroy(queue.pointer)
        destroy()
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
