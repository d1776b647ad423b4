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
            current = try inputSchema.encode(raw, rows: rows)
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
            next.withUnsafeMutableBufferPointer { output in
                layer.bias.withUnsafeBufferPointer { layer.activation.apply(to: output, rows: rows, width: layer.outputs, bias: $0.baseAddress!) }
            }
            current = next
        }
        return current
    }
}
