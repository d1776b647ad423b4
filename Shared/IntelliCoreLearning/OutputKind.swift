import IntelliCoreModels

/// What a network's last layer predicts, which fixes its width, activation and loss.
public enum OutputKind: Sendable, Hashable, Codable {
    /// One number; identity output, half mean squared error on the standardised target.
    case regression
    /// Two classes; one sigmoid output (the probability of the second class), binary cross-entropy.
    case binary
    /// `classes` classes; softmax output, cross-entropy.
    case multiclass(classes: Int)

    public var width: Int {
        switch self {
        case .regression, .binary: 1
        case .multiclass(let classes): classes
        }
    }

    var activation: Activation {
        switch self {
        case .regression: .identity
        case .binary: .sigmoid
        case .multiclass: .softmax
        }
    }

    /// Classes of a classifier's probability rows (2 for `binary`); nil for regression.
    public var classes: Int? {
        switch self {
        case .regression: nil
        case .binary: 2
        case .multiclass(let classes): classes
        }
    }
}
