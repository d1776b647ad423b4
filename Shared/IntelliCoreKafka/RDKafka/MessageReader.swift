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
        let raw = message.pointee
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) }
        var headers = PackedHeaders()
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            let count = rd_kafka_header_cnt(list)
            headers = PackedHeaders(reservingCount: count, bytes: 32 * count)
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            for index in 0..<count where rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let nameBytes = name.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
                headers.append(name: nameBytes, value: bytes.map { UnsafeRawBufferPointer(start: $0, count: size) })
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaConsumerMessage(
            topic: topic, partition: raw.partition, offset: raw.offset, key: key, value: value, packedHeaders: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
