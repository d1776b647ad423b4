import IntelliCoreEvents
import IntelliCoreModels

/// An algorithm with its hyperparameters read and checked (`Hyperparameter` rules), defaults
/// filled in the way scikit-learn's corresponding estimators default.
public struct TrainingPlan: Sendable, Hashable {
    public let algorithm: TrainingAlgorithm
    public var trainer = NetworkTrainer.Settings()
    public var hiddenLayers: [Int] = []
    public var hiddenActivation: Activation = .relu
    public var validationShare = 0.2
    public var checkpointEvery = 10
    /// The ridge penalty α of `ridge` (sum of squared errors + α‖w‖²).
    public var ridgeAlpha = 1.0

    /// Whether the algorithm is solved in closed form (one step, no epochs).
    public var isClosedForm: Bool { algorithm == .linearRegression || algorithm == .ridge }

    /// Reads `hyperparameters`; throws `invalidHyperparameter` naming the first one that is
    /// unknown, invalid or does not apply to the algorithm.
    public init(algorithm name: String, hyperparameters: [String: JSONValue]) throws(TrainingFailure) {
        guard let algorithm = TrainingAlgorithm(rawValue: name) else {
            throw TrainingFailure(.invalidRequest, "algorithm \(name) is unknown; use one of \(TrainingAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.algorithm = algorithm
        switch algorithm {
        case .logisticRegression, .softmaxRegression:
            trainer.learningRate = 0.01
            trainer.batchSize = 64
        case .mlp:
            hiddenLayers = [100]
        case .linearRegression, .ridge:
            break
        }
        for (name, value) in hyperparameters.sorted(by: { $0.key < $1.key }) {
            guard let parameter = Hyperparameter(rawValue: name) else {
                throw TrainingFailure(.invalidRequest, "hyperparameter \(name) is unknown; they are \(Hyperparameter.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let problem = parameter.problem(with: value) {
                throw TrainingFailure(.invalidRequest, "hyperparameter \(name) \(problem)")
            }
            guard Self.applies(parameter, to: algorithm) else {
                throw TrainingFailure(.invalidRequest, "hyperparameter \(name) does not apply to \(algorithm.rawValue)")
            }
            switch (parameter, value) {
            case (.hiddenLayers, .array(let widths)):
                hiddenLayers = widths.compactMap { if case .number(let width) = $0 { Int(width) } else { nil } }
            case (.activation, .string(let text)): hiddenActivation = text == "tanh" ? .tanh : .relu
            case (.optimizer, .string(let text)): trainer.optimizer = text == "sgd" ? .sgd : .adam
            case (.learningRate, .number(let number)): trainer.learningRate = Float(number)
            case (.momentum, .number(let number)): trainer.momentum = Float(number)
            case (.l2, .number(let number)):
                if algorithm == .ridge { ridgeAlpha = number } else { trainer.l2 = Float(number) }
            case (.epochs, .number(let number)): trainer.epochs = Int(number)
            case (.batchSize, .number(let number)): trainer.batchSize = Int(number)
            case (.patience, .number(let number)): trainer.patience = Int(number)
            case (.validationSplit, .number(let number)): validationShare = number
            case (.checkpointEvery, .number(let number)): checkpointEvery = Int(number)
            case (.seed, .number(let number)): trainer.seed = UInt64(number)
            default: break
            }
        }
    }

    static func applies(_ parameter: Hyperparameter, to algorithm: TrainingAlgorithm) -> Bool {
        switch parameter {
        case .validationSplit, .seed: true
        case .l2: true
        case .hiddenLayers, .activation: algorithm == .mlp
        case .optimizer, .learningRate, .momentum, .epochs, .batchSize, .patience, .checkpointEvery:
            algorithm != .linearRegression && algorithm != .ridge
        }
    }

    /// The plan as it ran, every hyperparameter with its effective value (the run's parameters).
    public var effectiveParameters: [String: JSONValue] {
        var parameters: [String: JSONValue] = [
            Hyperparameter.validationSplit.rawValue: .number(validationShare),
            Hyperparameter.seed.rawValue: .number(Double(trainer.seed)),
        ]
        if algorithm == .ridge { parameters[Hyperparameter.l2.rawValue] = .number(ridgeAlpha) }
        guard !isClosedForm else { return parameters }
        parameters[Hyperparameter.optimizer.rawValue] = .string(trainer.optimizer.rawValue)
        parameters[Hyperparameter.learningRate.rawValue] = .number(Double(trainer.learningRate))
        parameters[Hyperparameter.l2.rawValue] = .number(Double(trainer.l2))
        parameters[Hyperparameter.epochs.rawValue] = .number(Double(trainer.epochs))
        parameters[Hyperparameter.batchSize.rawValue] = .number(Double(trainer.batchSize))
        parameters[Hyperparameter.patience.rawValue] = .number(Double(trainer.patience))
        parameters[Hyperparameter.checkpointEvery.rawValue] = .number(Double(checkpointEvery))
        if trainer.optimizer == .sgd { parameters[Hyperparameter.momentum.rawValue] = .number(Double(trainer.momentum)) }
        if algorithm == .mlp {
            parameters[Hyperparameter.hiddenLayers.rawValue] = .array(hiddenLayers.map { .number(Double($0)) })
            parameters[Hyperparameter.activation.rawValue] = .string(hiddenActivation.rawValue)
        }
        return parameters
    }
}
