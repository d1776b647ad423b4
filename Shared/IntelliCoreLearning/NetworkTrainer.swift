import IntelliCoreModels
import IntelliCoreNumerics

/// Rows ready for a network: encoded features and the targets the loss compares outputs with
/// (one-hot rows for `multiclass`, 0/1 for `binary`, the standardised value for `regression`).
public struct EncodedRows: Sendable {
    public let features: [Float]
    public let targets: [Float]
    public let rows: Int

    public init(features: [Float], targets: [Float], rows: Int) {
        self.features = features
        self.targets = targets
        self.rows = rows
    }
}

/// Where a run stands after an epoch; what a checkpoint stores. Restoring it continues the run
/// exactly as if it had not stopped (each epoch's shuffle depends only on the seed and the epoch).
public struct TrainerState: Sendable, Codable, Hashable {
    /// Epochs completed.
    public var epoch: Int
    public var parameters: [Float]
    public var optimizer: Optimizer
    /// The parameters with the lowest validation loss so far, and that loss.
    public var best: [Float]
    public var bestLoss: Double
    public var bestEpoch: Int
    /// Epochs since the validation loss last improved.
    public var sinceImprovement: Int
    /// Early stopping ended the run.
    public var stoppedEarly: Bool
}

/// One epoch's figures, as `ModelTrainingProgress` carries them.
public struct EpochReport: Sendable, Hashable {
    public let epoch: Int
    public let epochs: Int
    /// `loss` (training, with the L2 term), `val_loss` and the validation metrics (`ModelMetric` names).
    public let metrics: [String: Double]
    public let samplesPerSecond: Double
}

/// Trains a `NetworkShape` with mini-batches, Adam or SGD with momentum, L2, a fixed number of
/// epochs and early stopping on the validation loss; reports every epoch and returns the state
/// holding the best parameters.
public struct NetworkTrainer: Sendable {
    public struct Settings: Sendable, Hashable {
        public var optimizer: Optimizer.Kind = .adam
        public var learningRate: Float = 0.001
        public var momentum: Float = 0.9
        public var l2: Float = 0.0001
        public var epochs: Int = 200
        public var batchSize: Int = 200
        /// Stop after this many epochs without a better validation loss; 0 turns it off.
        public var patience: Int = 10
        /// An improvement smaller than this does not count (scikit-learn's `tol`).
        public var tolerance: Double = 1e-4
        public var seed: UInt64 = 42

        public init() {}
    }

    public let shape: NetworkShape
    public let settings: Settings
    let backend: any NumericsBackend

    public init(shape: NetworkShape, settings: Settings, backend: any NumericsBackend = OpenBLASBackend()) {
        self.shape = shape
        self.settings = settings
        self.backend = backend
    }

    public func initialState() -> TrainerState {
        let parameters = shape.initialParameters(seed: settings.seed)
        return TrainerState(epoch: 0, parameters: parameters,
                            optimizer: Optimizer(kind: settings.optimizer, learningRate: settings.learningRate, momentum: settings.momentum,
                                                 parameterCount: parameters.count),
                            best: parameters, bestLoss: .infinity, bestEpoch: 0, sinceImprovement: 0, stoppedEarly: false)
    }

    /// Runs the remaining epochs from `state` (a fresh one, or a checkpoint's). `evaluate` turns
    /// the validation outputs into metrics; `onEpoch` sees each epoch's report and state, and may
    /// throw to stop the run (cancelled, deadline passed). Throws `TrainingFailure.diverged` when
    /// the loss stops being finite.
    public func train(_ training: EncodedRows, validation: EncodedRows, from start: TrainerState? = nil,
                      evaluate: @Sendable ([Float]) -> [String: Double],
                      onEpoch: (EpochReport, TrainerState) async throws -> Void) async throws -> TrainerState {
        let width = shape.inputs, outputs = shape.output.width
        precondition(training.features.count == training.rows * width && validation.features.count == validation.rows * width,
                     "encoded rows do not match the network's inputs")
        let network = DenseNetwork(shape: shape, backend: backend)
        var state = start ?? initialState()
        let batch = max(1, min(settings.batchSize, training.rows))
        var order = Array(0..<training.rows)
        var batchFeatures = [Float](repeating: 0, count: batch * width)
        var batchTargets = [Float](repeating: 0, count: batch * outputs)
        var gradient = [Float](repeating: 0, count: shape.parameterCount)

        while state.epoch < settings.epochs && !state.stoppedEarly {
            try Task.checkCancellation()
            let started = ContinuousClock.now
            var generator = SeededGenerator.epoch(state.epoch, seed: settings.seed)
            for index in order.indices { order[index] = index }
            order.shuffle(using: &generator)
            var lossSum = 0.0
            var batches = 0
            var first = 0
            while first < training.rows {
                let rows = min(batch, training.rows - first)
                training.features.withUnsafeBufferPointer { source in
                    training.targets.withUnsafeBufferPointer { targets in
                        for row in 0..<rows {
                            let from = order[first + row]
                            for column in 0..<width { batchFeatures[row * width + column] = source[from * width + column] }
                            for column in 0..<outputs { batchTargets[row * outputs + column] = targets[from * outputs + column] }
                        }
                    }
                }
                let loss = try batchFeatures.withUnsafeBufferPointer { features in
                    try batchTargets.withUnsafeBufferPointer { targets in
                        try state.parameters.withUnsafeBufferPointer { parameters in
                            try gradient.withUnsafeMutableBufferPointer { gradient in
                                try network.lossAndGradient(features, targets: targets, rows: rows, parameters: parameters,
                                                            l2: settings.l2, gradient: gradient)
                            }
                        }
                    }
                }
                guard loss.isFinite else {
                    throw TrainingFailure(.diverged, "the training loss became \(loss) in epoch \(state.epoch + 1); lower learning_rate or raise l2")
                }
                gradient.withUnsafeBufferPointer { gradient in
                    state.parameters.withUnsafeMutableBufferPointer { state.optimizer.apply(gradient, to: $0) }
                }
                lossSum += loss * Double(rows)
                batches += 1
                first += rows
                if batches % 256 == 0 { await Task.yield() }
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let outputsOnValidation = try predict(network, validation.features, rows: validation.rows, parameters: state.parameters)
            // The validation loss from the outputs just computed: no second forward pass.
            let validationLoss = outputsOnValidation.withUnsafeBufferPointer { outputs in
                validation.targets.withUnsafeBufferPointer { DenseNetwork.meanLoss(outputs, targets: $0, rows: validation.rows, output: shape.output) }
            }
            guard validationLoss.isFinite else {
                throw TrainingFailure(.diverged, "the validation loss became \(validationLoss) in epoch \(state.epoch + 1); lower learning_rate or raise l2")
            }
            state.epoch += 1
            if validationLoss < state.bestLoss - settings.tolerance || state.bestLoss == .infinity {
                state.best = state.parameters
                state.bestLoss = validationLoss
                state.bestEpoch = state.epoch
                state.sinceImprovement = 0
            } else {
                state.sinceImprovement += 1
                if settings.patience > 0 && state.sinceImprovement >= settings.patience { state.stoppedEarly = true }
            }
            var metrics = evaluate(outputsOnValidation)
            metrics["loss"] = lossSum / Double(training.rows)
            metrics["val_loss"] = validationLoss
            let report = EpochReport(epoch: state.epoch, epochs: settings.epochs, metrics: metrics,
                                     samplesPerSecond: seconds > 0 ? Double(training.rows) / seconds : 0)
            try await onEpoch(report, state)
        }
        return state
    }

    /// The network's outputs for encoded rows, computed in chunks.
    public func predict(_ features: [Float], rows: Int, parameters: [Float]) throws -> [Float] {
        try predict(DenseNetwork(shape: shape, backend: backend), features, rows: rows, parameters: parameters)
    }

    private func predict(_ network: DenseNetwork, _ features: [Float], rows: Int, parameters: [Float]) throws -> [Float] {
        let chunk = 4096, width = shape.inputs
        var outputs: [Float] = []
        outputs.reserveCapacity(rows * shape.output.width)
        try features.withUnsafeBufferPointer { features in
            try parameters.withUnsafeBufferPointer { parameters in
                var first = 0
                while first < rows {
                    let count = min(chunk, rows - first)
                    let slice = UnsafeBufferPointer(rebasing: features[(first * width)..<((first + count) * width)])
                    outputs += try network.predict(slice, rows: count, parameters: parameters)
                    first += count
                }
            }
        }
        return outputs
    }
}
