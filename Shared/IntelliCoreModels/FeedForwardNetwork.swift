import Foundation
import IntelliCoreNumerics

/// A loaded `intellicore.ffn.v1` network, ready to run batches as matrix products.
public final class FeedForwardNetwork: Sendable {
    struct Layer: Sendable {
        let inputs: Int
        let outputs: Int
        let activation: Activation
        /// `outputs × inputs`, row-major.
        let weights: [Float]
        let bias: [Float]
    }

    public let inputSchema: InputSchema
    public let outputName: String
    public let labels: [String]?
    let layers: [Layer]
    /// Input rows need no preprocessing: they go to the first layer as sent.
    let identityInput: Bool

    public init(_ artifact: FeedForwardArtifact) throws(ModelError) {
        guard let first = artifact.layers.first else { throw ModelError(.invalidNetwork, "network has no layers") }
        guard first.inputs == artifact.inputSchema.encodedWidth, artifact.inputSchema.rawWidth > 0 else {
            throw ModelError(.invalidNetwork, "first layer takes \(first.inputs) inputs; the input schema encodes \(artifact.inputSchema.encodedWidth)")
        }
        var previous = first.inputs
        var layers: [Layer] = []
        for (index, spec) in artifact.layers.enumerated() {
            guard spec.inputs == previous, spec.outputs > 0, spec.weights.count == spec.inputs * spec.outputs,
                  spec.bias.count == spec.outputs else {
                throw ModelError(.invalidNetwork, "layer \(index) has inconsistent shapes (\(spec.inputs)→\(spec.outputs), \(spec.weights.count) weights, \(spec.bias.count) biases)")
            }
            guard spec.weights.allSatisfy(\.isFinite), spec.bias.allSatisfy(\.isFinite) else {
                throw ModelError(.invalidNetwork, "layer \(index) has non-finite parameters")
            }
            layers.append(Layer(inputs: spec.inputs, outputs: spec.outputs, activation: spec.activation, weights: spec.weights, bias: spec.bias))
            previous = spec.outputs
        }
        if let labels = artifact.labels, labels.count != previous {
            throw ModelError(.invalidNetwork, "\(labels.count) labels for \(previous) outputs")
        }
        self.inputSchema = artifact.inputSchema
        self.outputName = artifact.outputName
        self.labels = artifact.labels
        self.layers = layers
        self.identityInput = artifact.inputSchema.features.allSatisfy { $0.preprocessing == .none }
    }

    public var rawInputWidth: Int { inputSchema.rawWidth }
    public var outputWidth: Int { layers.last!.outputs }

    /// Parameter memory, for the loaded-model cache's budget.
    public var memoryBytes: Int { layers.reduce(0) { $0 + ($1.weights.count + $1.bias.count) * MemoryLayout<Float>.size } }

    /// Floating-point operations of one row through the network (2 per multiply-add).
    public var flopsPerRow: Int { layers.reduce(0) { $0 + 2 * $1.inputs * $1.outputs } }

    /// Runs `rows` raw rows (`rows × rawInputWidth`, row-major) and returns `rows × outputWidth`.
    public func predict(_ raw: UnsafeBufferPointer<Float>, rows: Int, backend: any NumericsBackend) throws(ModelError) -> [Float] {
        guard rows > 0 else { return [] }
        guard raw.count == rows * rawInputWidth else {
            throw ModelError(.invalidInput, "\(raw.count) values do not make \(rows) rows of \(rawInputWidth)")
        }
        var current: [Float]
        if identityInput {
            current = Array(raw)
        } else {
            current = try encode(raw, rows: rows)
        }
        for layer in layers {
            var next = [Float](repeating: 0, count: rows * layer.outputs)
            do {
                try current.withUnsafeBufferPointer { input in
                    try layer.weights.withUnsafeBufferPointer { weights in
                        try next.withUnsafeMutableBufferPointer { output in
                            try backend.sgemm(transposeA: false, transposeB: true, m: rows, n: layer.outputs, k: layer.inputs,
                                              alpha: 1, a: input.baseAddress!, lda: layer.inputs, b: weights.baseAddress!,
                                              ldb: layer.inputs, beta: 0, c: output.baseAddress!, ldc: layer.outputs)
                        }
                    }
                }
            } catch let error as NumericsError {
                throw ModelError(.compute, "\(backend.name): \(error)")
            } catch {
                throw ModelError(.compute, "\(error)")
            }
            next.withUnsafeMutableBufferPointer { Self.applyBiasAndActivation($0, rows: rows, layer: layer) }
            current = next
        }
        return current
    }

    /// Applies each feature's preprocessing, expanding one-hot features.
    func encode(_ raw: UnsafeBufferPointer<Float>, rows: Int) throws(ModelError) -> [Float] {
        let width = inputSchema.encodedWidth, rawWidth = rawInputWidth
        var encoded = [Float](repeating: 0, count: rows * width)
        for row in 0..<rows {
            var column = 0
            for (index, feature) in inputSchema.features.enumerated() {
                let value = raw[row * rawWidth + index]
                switch feature.preprocessing {
                case .none:
                    encoded[row * width + column] = value
                case .standardize(let mean, let deviation):
                    // A missing value (NaN) is imputed with the training mean.
                    encoded[row * width + column] = value.isNaN ? 0 : (value - mean) / (deviation == 0 ? 1 : deviation)
                case .oneHot(let categories):
                    // A missing category (NaN) sets none of its columns.
                    guard !value.isNaN else { break }
                    let category = Int(exactly: value) ?? -1
                    guard categories.indices.contains(category) else {
                        throw ModelError(.invalidInput, "feature \(feature.name): \(value) is not a category index below \(categories.count)")
                    }
                    encoded[row * width + column + category] = 1
                }
                column += feature.encodedWidth
            }
        }
        return encoded
    }

    static func applyBiasAndActivation(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, layer: Layer) {
        let width = layer.outputs
        layer.bias.withUnsafeBufferPointer { bias in
            for row in 0..<rows {
                let base = row * width
                switch layer.activation {
                case .identity:
                    for j in 0..<width { values[base + j] += bias[j] }
                case .relu:
                    for j in 0..<width { values[base + j] = max(0, values[base + j] + bias[j]) }
                case .tanh:
                    for j in 0..<width { values[base + j] = Foundation.tanh(values[base + j] + bias[j]) }
                case .sigmoid:
                    for j in 0..<width { values[base + j] = 1 / (1 + exp(-(values[base + j] + bias[j]))) }
                case .softmax:
                    var largest = -Float.infinity
                    for j in 0..<width {
                        values[base + j] += bias[j]
                        largest = max(largest, values[base + j])
                    }
                    var sum: Float = 0
                    for j in 0..<width {
                        let e = exp(values[base + j] - largest)
                        values[base + j] = e
                        sum += e
                    }
                    for j in 0..<width { values[base + j] /= sum }
                }
            }
        }
    }
}
