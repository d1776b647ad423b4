/// Why a model artifact or an input could not be used.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }
        public static let unsupportedFormat = Code(raw: "unsupported_format")
        public static let corruptArtifact = Code(raw: "corrupt_artifact")
        public static let digestMismatch = Code(raw: "digest_mismatch")
        public static let invalidNetwork = Code(raw: "invalid_network")
        public static let invalidInput = Code(raw: "invalid_input")
        public static let compute = Code(raw: "compute_failed")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
