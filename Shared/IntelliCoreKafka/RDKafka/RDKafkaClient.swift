import CRDKafka
import Logging

/// Owns one `rd_kafka_t` handle: creation from properties, the version check and logging.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe; the pointer itself never changes.
final class RDKafkaClient: @unchecked Sendable {
    /// The oldest librdkafka that works with the platform's brokers (2.0.x mis-parses
    /// ApiVersions v3 responses; see docs/adr/0003-librdkafka-from-source.md).
    static let minimumVersion: Int32 = 0x0201_00FF
    static let minimumVersionString = "2.1.0"

    let pointer: OpaquePointer
    let logger: Logger

    enum Kind { case producer, consumer }

    /// The linked librdkafka's version string.
    static var versionString: String { String(cString: rd_kafka_version_str()) }

    static func checkVersion() throws {
        guard rd_kafka_version() >= minimumVersion else {
            throw KafkaError(
                .unsupportedVersion,
                "librdkafka \(versionString) is linked, but IntelliCore needs \(minimumVersionString) or newer "
                    + "(older versions cannot talk to current brokers). Run scripts/setup.sh, which builds a "
                    + "suitable librdkafka, and make sure LD_LIBRARY_PATH or the rpath points at it."
            )
        }
    }

    /// Creates a handle. `configure` may install callbacks on the conf before the handle exists.
    init(kind: Kind, properties: [String: String], logger: Logger,
         configure: (OpaquePointer) -> Void = { _ in }) throws {
        try Self.checkVersion()
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(.configuration, "\(name): \(String(cBuffer: errorText))")
            }
        }
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        configure(conf)
        guard let handle = rd_kafka_new(kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                                        conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(.clientCreation, String(cBuffer: errorText))
        }
        self.pointer = handle
        self.logger = logger
    }

    /// Waits for outstanding work and frees the handle; blocking, so call it off the cooperative pool.
    func destroy() {
        rd_kafka_destroy(pointer)
    }

    /// The fatal error a client has run into, if any (for example a fenced idempotent producer).
    func fatalError() -> KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(pointer, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(.fatal, String(cBuffer: text), librdkafkaCode: code.rawValue)
    }
}

/// librdkafka's own log lines go to stderr as JSON through swift-log's default bootstrap.
private let rdkafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    _, level, facility, text in
    let logger = Logger(label: "librdkafka")
    let message = Logger.Message(stringLiteral: text.map { String(cString: $0) } ?? "")
    let metadata: Logger.Metadata = ["kafka.facility": .string(facility.map { String(cString: $0) } ?? "")]
    switch level {
    case ...3: logger.error(message, metadata: metadata)
    case 4: logger.warning(message, metadata: metadata)
    case 5, 6: logger.info(message, metadata: metadata)
    default: logger.debug(message, metadata: metadata)
    }
}

extension rd_kafka_resp_err_t {
    var message: String { String(cString: rd_kafka_err2str(self)) }
}

extension KafkaError {
    init(_ code: Code, _ error: rd_kafka_resp_err_t, context: String) {
        let retriable = [RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL,
                         RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                         RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
                         RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE].contains(error)
        self.init(code, "\(context): \(error.message)", librdkafkaCode: error.rawValue, isRetriable: retriable)
    }

    /// Takes ownership of an `rd_kafka_error_t` and frees it.
    init(_ code: Code, consuming error: OpaquePointer, context: String) {
        let resp = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        let retriable = rd_kafka_error_is_retriable(error) != 0
        rd_kafka_error_destroy(error)
        self.init(code, "\(context): \(text)", librdkafkaCode: resp.rawValue, isRetriable: retriable)
    }
}

extension String {
    /// Reads a NUL-terminated C string out of a fixed-size buffer.
    init(cBuffer: [CChar]) {
        self = String(decoding: cBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
