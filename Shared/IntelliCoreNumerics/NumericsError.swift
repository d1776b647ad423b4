/// One error type for the numerics module.
public struct NumericsError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }
        public static let shapeMismatch = Code(raw: "shape_mismatch")
        public static let backendUnavailable = Code(raw: "backend_unavailable")
        public static let deviceFailure = Code(raw: "device_failure")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
