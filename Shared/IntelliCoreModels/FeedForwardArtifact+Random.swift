/// Networks with random weights, for benchmarks and tests that need a model of a given shape.
extension FeedForwardArtifact {
    /// A multilayer perceptron with `widths[0]` inputs, ReLU hidden layers and a softmax output.
    public static func randomMLP<G: RandomNumberGenerator>(widths: [Int], using generator: inout G) -> FeedForwardArtifact {
        precondition(widths.count >= 2)
        let features = (0..<widths[0]).map { FeatureSpec(name: "f\($0)") }
        var layers: [DenseLayerSpec] = []
        for index in 1..<widths.count {
            let inputs = widths[index - 1], outputs = widths[index]
            let scale = (2 / Float(inputs)).squareRoot()
            layers.append(DenseLayerSpec(
                inputs: inputs, outputs: outputs, activation: index == widths.count - 1 ? .softmax : .relu,
                weights: (0..<inputs * outputs).map { _ in Float.random(in: -scale...scale, using: &generator) },
                bias: (0..<outputs).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
            ))
        }
        return FeedForwardArtifact(inputSchema: InputSchema(tensorName: "input", features: features), layers: layers,
                                   outputName: "probabilities")
    }
}

/// A small deterministic generator (SplitMix64), so benchmarks and tests are repeatable.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
