/// An error from the Kafka client: an opaque code, a message and whether retrying may help.
///
/// Descriptions never include message keys or payloads.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }

        public static let configuration = Code(raw: "configuration")
        public static let unsupportedVersion = Code(raw: "unsupported_librdkafka_version")
        public static let clientCreation = Code(raw: "client_creation")
        public static let produce = Code(raw: "produce")
        public static let delivery = Code(raw: "delivery")
        public static let consume = Code(raw: "consume")
        public static let subscription = Code(raw: "subscription")
        public static let offsets = Code(raw: "offsets")
        public static let admin = Code(raw: "admin")
        public static let timeout = Code(raw: "timeout")
        public static let closed = Code(raw: "closed")
        public static let fatal = Code(raw: "fatal")
    }

    public let code: Code
    public let message: String
    /// librdkafka's `rd_kafka_resp_err_t` value, when the error came from librdkafka.
    public let librdkafkaCode: Int32?
    public let isRetriable: Bool

    public init(_ code: Code, _ message: String, librdkafkaCode: Int32? = nil, isRetriable: Bool = false) {
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.isRetriable = isRetriable
    }

    public var description: String {
        if let librdkafkaCode { return "Kafka \(code) error (\(librdkafkaCode)): \(message)" }
        return "Kafka \(code) error: \(message)"
    }
}
