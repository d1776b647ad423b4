/// Why a training run cannot produce a model, in words a person can act on.
public struct TrainingFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// An unknown algorithm, or a hyperparameter that is unknown, invalid or does not apply.
        case invalidRequest = "invalid_request"
        /// Too few rows, or rows the algorithm cannot learn from.
        case notEnoughData = "not_enough_data"
        /// The target does not suit the algorithm (a single class, a number for a classifier …).
        case unsuitableTarget = "unsuitable_target"
        /// A feature column that cannot be used.
        case unsuitableFeature = "unsuitable_feature"
        /// The loss became NaN or infinite.
        case diverged
        /// The linear system has no unique solution.
        case singular
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
