/// Why an incoming message could not be read as a platform event.
public struct EventError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }
        public static let missingAttribute = Code(raw: "missing_attribute")
        public static let invalidAttribute = Code(raw: "invalid_attribute")
        public static let unsupportedContentType = Code(raw: "unsupported_content_type")
        public static let emptyPayload = Code(raw: "empty_payload")
        public static let undecodablePayload = Code(raw: "undecodable_payload")
        public static let typeMismatch = Code(raw: "type_mismatch")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
