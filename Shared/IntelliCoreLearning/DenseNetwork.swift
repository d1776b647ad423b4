import Foundation
import IntelliCoreModels
import IntelliCoreNumerics

/// The shape of a trainable feed-forward network: inputs, hidden widths and their activation,
/// and the output. A linear or logistic model is a network without hidden layers.
public struct NetworkShape: Sendable, Hashable, Codable {
    public var inputs: Int
    public var hidden: [Int]
    public var hiddenActivation: Activation
    public var output: OutputKind

    public init(inputs: Int, hidden: [Int] = [], hiddenActivation: Activation = .relu, output: OutputKind) {
        self.inputs = inputs
        self.hidden = hidden
        self.hiddenActivation = hiddenActivation
        self.output = output
    }

    /// (inputs, outputs, activation) of every layer, in order.
    public var layers: [(inputs: Int, outputs: Int, activation: Activation)] {
        let widths = [inputs] + hidden + [output.width]
        return (1..<widths.count).map { index in
            (widths[index - 1], widths[index], index == widths.count - 1 ? output.activation : hiddenActivation)
        }
    }

    /// Where layer i's weights (`outputs × inputs`) and biases start in the flat parameter vector.
    var offsets: [(weights: Int, bias: Int)] {
        var offset = 0
        return layers.map { layer in
            defer { offset += layer.inputs * layer.outputs + layer.outputs }
            return (offset, offset + layer.inputs * layer.outputs)
        }
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.inputs * $1.outputs + $1.outputs } }

    /// Glorot-uniform weights and biases, as scikit-learn's MLP initialises them.
    public func initialParameters(seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var parameters = [Float](repeating: 0, count: parameterCount)
        for (layer, offset) in zip(layers, offsets) {
            let bound = (6 / Float(layer.inputs + layer.outputs)).squareRoot()
            for index in offset.weights..<(offset.bias + layer.outputs) {
                parameters[index] = Float.random(in: -bound...bound, using: &generator)
            }
        }
        return parameters
    }
}

/// Forward and backward passes of a `NetworkShape` over a batch, as matrix products on a
/// `NumericsBackend`, with buffers reused between batches. Not thread-safe: one per run.
final class DenseNetwork {
    let shape: NetworkShape
    let backend: any NumericsBackend
    private let layers: [(inputs: Int, outputs: Int, activation: Activation)]
    private let offsets: [(weights: Int, bias: Int)]
    /// Activations of each layer for the current batch, `rows × outputs`.
    private var activations: [[Float]]
    /// The loss's gradient with respect to each layer's pre-activation, then its input.
    private var deltas: [[Float]]
    private var capacity = 0

    init(shape: NetworkShape, backend: any NumericsBackend) {
        self.shape = shape
        self.backend = backend
        layers = shape.layers
        offsets = shape.offsets
        activations = Array(repeating: [], count: layers.count)
        deltas = Array(repeating: [], count: layers.count)
    }

    private func reserve(rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        for (index, layer) in layers.enumerated() {
            activations[index] = [Float](repeating: 0, count: rows * layer.outputs)
            deltas[index] = [Float](repeating: 0, count: rows * max(layer.outputs, layer.inputs))
        }
    }

    /// The output layer's activations for `rows` encoded rows, `rows × output.width`.
    func predict(_ input: UnsafeBufferPointer<Float>, rows: Int, parameters: UnsafeBufferPointer<Float>) throws -> [Float] {
        try forward(input, rows: rows, parameters: parameters)
        return Array(activations[layers.count - 1].prefix(rows * shape.output.width))
    }

    /// The batch's mean loss plus (l2 / 2)·‖W‖², and its gradient in `gradient` (same layout as
    /// the parameters). Biases are not penalised.
    func lossAndGradient(_ input: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>, rows: Int,
                         parameters: UnsafeBufferPointer<Float>, l2: Float, gradient: UnsafeMutableBufferPointer<Float>) throws -> Double {
        try forward(input, rows: rows, parameters: parameters)
        var loss = outputLoss(targets: targets, rows: rows)
        let last = layers.count - 1
        let width = shape.output.width
        let scale = 1 / Float(rows)
        // Every output's loss pairs with its activation so that dL/dz = (a − y) / n.
        activations[last].withUnsafeBufferPointer { output in
            deltas[last].withUnsafeMutableBufferPointer { delta in
                for index in 0..<(rows * width) { delta[index] = (output[index] - targets[index]) * scale }
            }
        }
        for index in stride(from: last, through: 0, by: -1) {
            let layer = layers[index], offset = offsets[index]
            let weights = parameters.baseAddress! + offset.weights
            let gradientWeights = gradient.baseAddress! + offset.weights
            try deltas[index].withUnsafeBufferPointer { delta in
                // dW = δᵀ · input of the layer
                try withLayerInput(index, input) { previous in
                    try backend.sgemm(transposeA: true, transposeB: false, m: layer.outputs, n: layer.inputs, k: rows, alpha: 1,
                                      a: delta.baseAddress!, lda: layer.outputs, b: previous, ldb: layer.inputs,
                                      beta: 0, c: gradientWeights, ldc: layer.inputs)
                }
                for output in 0..<layer.outputs {
                    var sum: Float = 0
                    for row in 0..<rows { sum += delta[row * layer.outputs + output] }
                    gradient[offset.bias + output] = sum
                }
            }
            if l2 > 0 {
                var penalty: Double = 0
                for position in 0..<(layer.inputs * layer.outputs) {
                    let weight = weights[position]
                    gradientWeights[position] += l2 * weight
                    penalty += Double(weight * weight)
                }
                loss += Double(l2) / 2 * penalty
            }
            guard index > 0 else { break }
            // δ of the layer below = (δ · W) ⊙ f'(its activation)
            let below = layers[index - 1]
            try deltas[index].withUnsafeBufferPointer { delta in
                try deltas[index - 1].withUnsafeMutableBufferPointer { next in
                    try backend.sgemm(transposeA: false, transposeB: false, m: rows, n: layer.inputs, k: layer.outputs, alpha: 1,
                                      a: delta.baseAddress!, lda: layer.outputs, b: weights, ldb: layer.inputs,
                                      beta: 0, c: next.baseAddress!, ldc: layer.inputs)
                    activations[index - 1].withUnsafeBufferPointer { activation in
                        switch below.activation {
                        case .relu:
                            for position in 0..<(rows * below.outputs) where activation[position] <= 0 { next[position] = 0 }
                        case .tanh:
                            for position in 0..<(rows * below.outputs) {
                                next[position] *= 1 - activation[position] * activation[position]
                            }
                        default:
                            break
                        }
                    }
                }
            }
        }
        return loss
    }

    private func withLayerInput<Result>(_ index: Int, _ input: UnsafeBufferPointer<Float>,
                                        _ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        if index == 0 { return try body(input.baseAddress!) }
        return try activations[index - 1].withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    private func forward(_ input: UnsafeBufferPointer<Float>, rows: Int, parameters: UnsafeBufferPointer<Float>) throws {
        precondition(input.count >= rows * shape.inputs, "the batch holds fewer than \(rows) rows")
        reserve(rows: rows)
        for (index, layer) in layers.enumerated() {
            let offset = offsets[index]
            try withLayerInput(index, input) { previous in
                try activations[index].withUnsafeMutableBufferPointer { output in
                    try backend.sgemm(transposeA: false, transposeB: true, m: rows, n: layer.outputs, k: layer.inputs, alpha: 1,
                                      a: previous, lda: layer.inputs, b: parameters.baseAddress! + offset.weights, ldb: layer.inputs,
                                      beta: 0, c: output.baseAddress!, ldc: layer.outputs)
                    layer.activation.apply(to: output, rows: rows, width: layer.outputs, bias: parameters.baseAddress! + offset.bias)
                }
            }
        }
    }

    /// Mean loss of the output activations against the targets (`rows × output.width`).
    private func outputLoss(targets: UnsafeBufferPointer<Float>, rows: Int) -> Double {
        activations[layers.count - 1].withUnsafeBufferPointer { Self.meanLoss($0, targets: targets, rows: rows, output: shape.output) }
    }

    /// Mean loss of outputs against targets (both `rows × output.width`): half squared error,
    /// binary or categorical cross-entropy (probabilities clipped to 1e-15).
    static func meanLoss(_ output: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>, rows: Int, output kind: OutputKind) -> Double {
        let smallest: Double = 1e-15
        var total: Double = 0
        switch kind {
        case .regression:
            for index in 0..<rows {
                let error = Double(output[index] - targets[index])
                total += error * error / 2
            }
        case .binary:
            for index in 0..<rows {
                let probability = min(max(Double(output[index]), smallest), 1 - smallest)
                total -= targets[index] > 0.5 ? log(probability) : log(1 - probability)
            }
        case .multiclass(let classes):
            for index in 0..<(rows * classes) where targets[index] > 0.5 {
                total -= log(max(Double(output[index]), smallest))
            }
        }
        return total / Double(rows)
    }
}
