import CRDKafka
#if canImport(Glibc)
import Glibc
#endif

/// Copies librdkafka messages into `KafkaConsumerMessage` values.
///
/// Lives on the consumer's thread only; caches topic names per topic handle.
final class MessageReader {
    private var topicNames: [OpaquePointer: String] = [:]

    func read(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
        Self.copy(message, topic: topicName(message))
    }

    /// The message's topic name, made into a `String` once per topic handle.
    func topicName(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> String {
        guard let rkt = message.pointee.rkt else { return "" }
        if let cached = topicNames[rkt] { return cached }
        let topic = String(cString: rd_kafka_topic_name(rkt))
        topicNames[rkt] = topic
        return topic
    }

    /// Copies key, value and headers out of librdkafka's message.
    static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaConsumerMessage {
        let fields = message.pointee
        let key = fields.key.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.key_len)) }
        let value = fields.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.len)) }
        let raw = KafkaRecordHeaders(message: message)
        var headers = PackedHeaders(reservingCount: raw.count, bytes: raw.bytes.count)
        raw.forEach { name, value in headers.append(name: name, value: value) }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaConsumerMessage(
            topic: topic, partition: fields.partition, offset: fields.offset, key: key, value: value, packedHeaders: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
