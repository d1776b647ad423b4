import CRDKafka
import Foundation
import IntelliCoreConcurrency
#if canImport(Glibc)
import Glibc
#endif

/// Records polled with `KafkaConsumer.pollBatch`, left in librdkafka's memory until the batch is
/// released: reading a record's key, value or headers copies and allocates nothing.
///
/// A `KafkaRecordView` points into the batch: use it only while the batch is alive (keep the
/// batch in a local and read the views in the same scope), and copy what must outlive it
/// (`KafkaRecordView.copied()`, for a dead letter or a retry). Release every batch before closing
/// the consumer: librdkafka asks that every message be destroyed before its handle.
///
/// `@unchecked Sendable`: immutable after the poll; librdkafka messages may be read from any
/// thread and destroyed from any thread.
public final class KafkaRecordBatch: @unchecked Sendable, RandomAccessCollection {
    private let messages: [UnsafeMutablePointer<rd_kafka_message_t>]
    /// Each record's topic, as an index into `topicNames`.
    private let topicIndexes: [UInt16]
    private let topicNames: [String]
    private let outstanding: AtomicCounter

    init(messages: [UnsafeMutablePointer<rd_kafka_message_t>], topicIndexes: [UInt16], topicNames: [String], outstanding: AtomicCounter) {
        self.messages = messages
        self.topicIndexes = topicIndexes
        self.topicNames = topicNames
        self.outstanding = outstanding
        outstanding.increment()
    }

    deinit {
        for message in messages { rd_kafka_message_destroy(message) }
        outstanding.decrement()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    public subscript(position: Int) -> KafkaRecordView {
        KafkaRecordView(message: messages[position], topic: topicNames[Int(topicIndexes[position])])
    }

    /// The offset after the highest one per partition: what `KafkaConsumer.storeOffsets(for:)` stores.
    public var nextOffsets: [KafkaTopicPartition] {
        var next: [KafkaTopicPartition: Int64] = [:]
        for index in messages.indices {
            let key = KafkaTopicPartition(topic: topicNames[Int(topicIndexes[index])], partition: messages[index].pointee.partition)
            next[key] = Swift.max(next[key] ?? 0, messages[index].pointee.offset + 1)
        }
        return next.map { KafkaTopicPartition(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
    }
}

/// One record of a `KafkaRecordBatch`, read in place: valid only while its batch is alive.
public struct KafkaRecordView {
    let message: UnsafeMutablePointer<rd_kafka_message_t>
    public let topic: String

    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }

    public var key: UnsafeRawBufferPointer? {
        message.pointee.key.map { UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len) }
    }

    public var value: UnsafeRawBufferPointer? {
        message.pointee.payload.map { UnsafeRawBufferPointer(start: $0, count: message.pointee.len) }
    }

    /// Milliseconds since the epoch, when the broker or producer set one.
    public var timestampMilliseconds: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
    }

    /// The record's headers, read in place (no list is built).
    public var headers: KafkaRecordHeaders { KafkaRecordHeaders(message: message) }

    /// The value of the last header called `name` (empty for a header without a value); nil when
    /// there is none.
    public func header(named name: String) -> UnsafeRawBufferPointer? {
        headers.last(named: name)
    }

    /// Whether a header called `name` is present (with or without a value).
    public func hasHeader(named name: String) -> Bool { header(named: name) != nil }

    /// Whether the last header called `name` has a value starting with `prefix`.
    public func header(named name: String, hasPrefix prefix: String) -> Bool {
        header(named: name)?.hasUTF8Prefix(prefix) ?? false
    }

    /// The record as an owned `KafkaConsumerMessage` (copies it: for what outlives the batch).
    public func copied() -> KafkaConsumerMessage {
        MessageReader.copy(message, topic: topic)
    }
}
