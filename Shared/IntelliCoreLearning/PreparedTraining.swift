import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreNumerics

/// A plan applied to a table: the split, the preprocessing learned on the training rows, the
/// encoded rows, the network's shape and how its outputs become metrics and an artifact.
public struct PreparedTraining: Sendable {
    public let plan: TrainingPlan
    public let split: DataSplit
    public let preprocessing: Preprocessing
    public let output: OutputKind
    /// Class labels of a classifier, one per output class.
    public let labels: [String]?
    public let training: EncodedRows
    public let validation: EncodedRows
    /// Training-split mean and standard deviation of a regression target (the network learns the standardised value).
    let targetScale: (mean: Float, deviation: Float)
    /// Validation truth: class indices, or raw target values.
    let validationClasses: [Int32]
    let validationValues: [Float]
    public let baselines: [FeatureBaseline]

    /// `split` nil: the plan's seeded split of the table's rows.
    public init(table: TrainingTable, plan: TrainingPlan, split given: DataSplit? = nil) throws(TrainingFailure) {
        let split: DataSplit
        if let given {
            split = given
        } else {
            split = try DataSplit(rows: table.rowCount, validationShare: plan.validationShare, seed: plan.trainer.seed)
        }
        guard !table.features.isEmpty else { throw TrainingFailure(.unsuitableFeature, "there are no feature columns to learn from") }
        let algorithm = plan.algorithm
        var classCodes: [Int32] = [], values: [Float] = []
        switch table.target {
        case .classes(let allLabels, let codes):
            guard algorithm != .linearRegression && algorithm != .ridge else {
                throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) holds classes; \(algorithm.rawValue) predicts numbers: use logistic_regression, softmax_regression or mlp")
            }
            let missing = codes.filter { $0 < 0 }.count
            guard missing == 0 else { throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) is missing in \(missing) rows; a target must be present in every row") }
            // Only the classes that occur become outputs.
            var present = Set(codes).sorted()
            guard present.count >= 2 else {
                throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) holds a single class (\(present.first.map { allLabels[Int($0)] } ?? "none")); a classifier needs at least two")
            }
            if algorithm == .logisticRegression && present.count > 2 {
                throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) has \(present.count) classes; logistic_regression is binary: use softmax_regression or mlp")
            }
            let trainingClasses = Set(split.training.map { codes[$0] })
            guard trainingClasses.count >= 2 else {
                throw TrainingFailure(.notEnoughData, "the training split holds a single class of \(table.targetName); add rows or lower validation_split")
            }
            present.sort()
            var remap = [Int32: Int32]()
            for (index, code) in present.enumerated() { remap[code] = Int32(index) }
            classCodes = codes.map { remap[$0]! }
            labels = present.map { allLabels[Int($0)] }
            output = algorithm == .logisticRegression ? .binary : .multiclass(classes: present.count)
        case .values(let targetValues):
            guard algorithm != .logisticRegression && algorithm != .softmaxRegression else {
                throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) is a number; \(algorithm.rawValue) predicts classes: use linear_regression, ridge or mlp")
            }
            let missing = targetValues.filter { !$0.isFinite }.count
            guard missing == 0 else { throw TrainingFailure(.unsuitableTarget, "target \(table.targetName) is missing in \(missing) rows; a target must be present in every row") }
            values = targetValues
            labels = nil
            output = .regression
        }
        self.plan = plan
        self.split = split
        preprocessing = Preprocessing.fit(table, rows: split.training)
        baselines = FeatureBaselines.compute(table, rows: split.training)
        if case .regression = output {
            var mean = 0.0, squares = 0.0
            for row in split.training { mean += Double(values[row]) }
            mean /= Double(split.training.count)
            for row in split.training { squares += (Double(values[row]) - mean) * (Double(values[row]) - mean) }
            let deviation = (squares / Double(split.training.count)).squareRoot()
            targetScale = (Float(mean), deviation > 1e-12 && !plan.isClosedForm ? Float(deviation) : 1)
        } else {
            targetScale = (0, 1)
        }
        let output = self.output, scale = targetScale
        func targets(_ rows: [Int]) -> [Float] {
            switch output {
            case .regression: return rows.map { (values[$0] - scale.mean) / scale.deviation }
            case .binary: return rows.map { Float(classCodes[$0]) }
            case .multiclass(let classes):
                var oneHot = [Float](repeating: 0, count: rows.count * classes)
                for (index, row) in rows.enumerated() { oneHot[index * classes + Int(classCodes[row])] = 1 }
                return oneHot
            }
        }
        training = EncodedRows(features: try preprocessing.encode(table, rows: split.training), targets: targets(split.training),
                               rows: split.training.count)
        validation = EncodedRows(features: try preprocessing.encode(table, rows: split.validation), targets: targets(split.validation),
                                 rows: split.validation.count)
        validationClasses = classCodes.isEmpty ? [] : split.validation.map { classCodes[$0] }
        validationValues = values.isEmpty ? [] : split.validation.map { values[$0] }
    }

    public var shape: NetworkShape {
        NetworkShape(inputs: preprocessing.encodedWidth, hidden: plan.hiddenLayers, hiddenActivation: plan.hiddenActivation, output: output)
    }

    public func trainer(backend: any NumericsBackend = OpenBLASBackend()) -> NetworkTrainer {
        NetworkTrainer(shape: shape, settings: plan.trainer, backend: backend)
    }

    /// Validation metrics from the network's outputs on the validation rows.
    public func evaluate(_ outputs: [Float]) -> [String: Double] {
        switch output {
        case .regression:
            return EvaluationMetrics.regression(predictions: outputs.map { $0 * targetScale.deviation + targetScale.mean },
                                                targets: validationValues)
        case .binary:
            var probabilities = [Float](repeating: 0, count: outputs.count * 2)
            for (index, probability) in outputs.enumerated() {
                probabilities[index * 2] = 1 - probability
                probabilities[index * 2 + 1] = probability
            }
            return EvaluationMetrics.classification(probabilities: probabilities, labels: validationClasses, classes: 2)
        case .multiclass(let classes):
            return EvaluationMetrics.classification(probabilities: outputs, labels: validationClasses, classes: classes)
        }
    }

    /// Solves `linear_regression` or `ridge` in closed form: the parameters (one identity layer)
    /// and their validation metrics.
    public func solveLinear() throws(TrainingFailure) -> (parameters: [Float], metrics: [String: Double]) {
        let width = preprocessing.encodedWidth
        let solution = try LinearSolver.fit(features: training.features, targets: training.targets, rows: training.rows, width: width,
                                            ridge: plan.algorithm == .ridge ? plan.ridgeAlpha : 0)
        let parameters = solution.weights + [solution.intercept]
        var predictions = [Float](repeating: 0, count: validation.rows)
        for row in 0..<validation.rows {
            var sum = solution.intercept
            for column in 0..<width { sum += validation.features[row * width + column] * solution.weights[column] }
            predictions[row] = sum
        }
        return (parameters, evaluate(predictions))
    }

    /// The `intellicore.ffn.v1` artifact of trained parameters: the learned preprocessing, the
    /// layers, and the output as inference serves it — class probabilities (a binary model's
    /// sigmoid becomes an equivalent two-class softmax) or the prediction in the target's units.
    public func artifact(parameters: [Float]) -> FeedForwardArtifact {
        var layers: [DenseLayerSpec] = []
        for (layer, offset) in zip(shape.layers, shape.offsets) {
            layers.append(DenseLayerSpec(inputs: layer.inputs, outputs: layer.outputs, activation: layer.activation,
                                         weights: Array(parameters[offset.weights..<offset.bias]),
                                         bias: Array(parameters[offset.bias..<(offset.bias + layer.outputs)])))
        }
        var last = layers.removeLast()
        switch output {
        case .regression:
            last.weights = last.weights.map { $0 * targetScale.deviation }
            last.bias = last.bias.map { $0 * targetScale.deviation + targetScale.mean }
        case .binary:
            // softmax([0, z]) = [1 − σ(z), σ(z)]
            last = DenseLayerSpec(inputs: last.inputs, outputs: 2, activation: .softmax,
                                  weights: [Float](repeating: 0, count: last.inputs) + last.weights, bias: [0] + last.bias)
        case .multiclass:
            break
        }
        layers.append(last)
        return FeedForwardArtifact(inputSchema: InputSchema(tensorName: "input", features: preprocessing.features), layers: layers,
                                   outputName: output.classes == nil ? "predictions" : "probabilities", labels: labels)
    }
}
