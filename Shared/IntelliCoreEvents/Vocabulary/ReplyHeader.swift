/// The request-reply headers of a `PredictionRequested` whose caller waits for its answer
/// (ADR 0009). The names and encodings are Spring Kafka's `ReplyingKafkaTemplate`'s, so a Spring
/// client can wait for an answer from inference as the ingestion gateway does.
///
/// Inference sends the request's primary answer once more to `replyTopic`, partition
/// `replyPartition`, with `correlationId` copied; only the platform's replies topic is honoured.
public enum ReplyHeader {
    /// The topic to answer on (UTF-8).
    public static let replyTopic = "kafka_replyTopic"
    /// The partition to answer on: a 4-byte big-endian integer.
    public static let replyPartition = "kafka_replyPartition"
    /// Opaque bytes (16 here, a UUID) the waiting caller matches the answer with.
    public static let correlationId = "kafka_correlationId"

    /// The 4-byte big-endian form of a partition.
    public static func encode(partition: Int32) -> [UInt8] {
        withUnsafeBytes(of: partition.bigEndian) { Array($0) }
    }

    /// The partition a 4-byte big-endian header holds; nil for any other length or a negative value.
    public static func decode(partition bytes: some Collection<UInt8>) -> Int32? {
        guard bytes.count == 4 else { return nil }
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let partition = Int32(bitPattern: value)
        return partition >= 0 ? partition : nil
    }
}
