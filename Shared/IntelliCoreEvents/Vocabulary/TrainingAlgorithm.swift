/// The algorithms `TrainingRequested.algorithm` names, defined here and nowhere else.
public enum TrainingAlgorithm: String, Sendable, CaseIterable, Codable {
    case linearRegression = "linear_regression"
    case ridge
    case logisticRegression = "logistic_regression"
    case softmaxRegression = "softmax_regression"
    case mlp
}

/// The hyperparameters a `TrainingRequested` may carry, with the values each takes. The gateway
/// refuses others; the orchestrator reads them with these rules.
public enum Hyperparameter: String, Sendable, CaseIterable {
    case hiddenLayers = "hidden_layers"
    case activation, optimizer
    case learningRate = "learning_rate"
    case momentum
    case l2
    case epochs
    case batchSize = "batch_size"
    case patience
    case validationSplit = "validation_split"
    case checkpointEvery = "checkpoint_every"
    case seed

    public enum Rule: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        /// A number in the range, the lower end excluded when `openBelow`.
        case number(ClosedRange<Double>, openBelow: Bool)
        case choice([String])
        case integerList(ClosedRange<Int>, maxCount: Int)
    }

    public var rule: Rule {
        switch self {
        case .hiddenLayers: .integerList(1...4096, maxCount: 16)
        case .activation: .choice(["relu", "tanh"])
        case .optimizer: .choice(["adam", "sgd"])
        case .learningRate: .number(0...10, openBelow: true)
        case .momentum: .number(0...0.999, openBelow: false)
        case .l2: .number(0...1000, openBelow: false)
        case .epochs: .integer(1...100_000)
        case .batchSize: .integer(1...1_000_000)
        case .patience: .integer(0...100_000)
        case .validationSplit: .number(0...0.9, openBelow: true)
        case .checkpointEvery: .integer(1...100_000)
        case .seed: .integer(0...Int(Int32.max))
        }
    }

    /// Why `value` is not a valid value for this hyperparameter; nil when it is.
    public func problem(with value: JSONValue) -> String? {
        func isWhole(_ number: Double) -> Bool { number == number.rounded() && abs(number) < 1e15 }
        switch (rule, value) {
        case (.integer(let range), .number(let number)) where isWhole(number) && range.contains(Int(number)):
            return nil
        case (.integer(let range), _):
            return "must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        case (.number(let range, let openBelow), .number(let number))
            where range.contains(number) && !(openBelow && number == range.lowerBound):
            return nil
        case (.number(let range, let openBelow), _):
            return "must be a number \(openBelow ? "above" : "from") \(range.lowerBound) \(openBelow ? "up to" : "to") \(range.upperBound)"
        case (.choice(let choices), .string(let text)) where choices.contains(text):
            return nil
        case (.choice(let choices), _):
            return "must be one of \(choices.joined(separator: ", "))"
        case (.integerList(let range, let maxCount), .array(let items))
            where items.count <= maxCount && items.allSatisfy({ if case .number(let n) = $0 { isWhole(n) && range.contains(Int(n)) } else { false } }):
            return nil
        case (.integerList(let range, let maxCount), _):
            return "must be a list of at most \(maxCount) whole numbers from \(range.lowerBound) to \(range.upperBound)"
        }
    }
}

/// The validation metrics a trained version reports and a `ValidationGate` may name.
public enum ModelMetric: String, Sendable, CaseIterable, Codable {
    case accuracy, precision, recall, f1
    case rocAUC = "roc_auc"
    case logLoss = "log_loss"
    case mse, mae, r2
}

extension ModelMetric {
    /// Accuracy-like metrics grow as a model improves; losses and errors shrink.
    public var higherIsBetter: Bool {
        switch self {
        case .accuracy, .precision, .recall, .f1, .rocAUC, .r2: true
        case .logLoss, .mse, .mae: false
        }
    }
}
