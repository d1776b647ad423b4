import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreNumerics
import Testing

@Suite struct FeedForwardNetworkTests {
    let backend = OpenBLASBackend()

    /// A hand-computable network: 2 inputs (one standardized, one one-hot of 2) → 2 outputs.
    var handMade: FeedForwardArtifact {
        FeedForwardArtifact(
            inputSchema: InputSchema(tensorName: "input", features: [
                FeatureSpec(name: "age", preprocessing: .standardize(mean: 10, standardDeviation: 2)),
                FeatureSpec(name: "plan", preprocessing: .oneHot(categories: ["free", "pro"])),
            ]),
            layers: [DenseLayerSpec(inputs: 3, outputs: 2, activation: .relu, weights: [1, 0, 0, 0, 1, -1], bias: [0.5, 0])],
            outputName: "scores")
    }

    @Test func computesPreprocessingMatrixProductBiasAndActivation() throws {
        let network = try FeedForwardNetwork(handMade)
        // Row 1: age 14 → 2, plan pro → [0,1] → relu(2 + 0.5), relu(0 - 1); row 2: age 8 → -1, plan free → [1,0] → relu(-1 + 0.5), relu(1 - 0).
        let output = try [14, 1, 8, 0].withUnsafeBufferPointer { try network.predict($0, rows: 2, backend: backend) }
        #expect(output == [2.5, 0, 0, 1])
    }

    @Test func softmaxRowsSumToOne() throws {
        var generator = SeededGenerator(seed: 7)
        let network = try FeedForwardNetwork(.randomMLP(widths: [32, 64, 64, 2], using: &generator))
        let input = (0..<32 * 100).map { Float($0 % 13) / 13 }
        let output = try input.withUnsafeBufferPointer { try network.predict($0, rows: 100, backend: backend) }
        #expect(output.count == 200)
        for row in 0..<100 { #expect(abs(output[2 * row] + output[2 * row + 1] - 1) < 1e-5) }
        #expect(network.flopsPerRow == 2 * (32 * 64 + 64 * 64 + 64 * 2))
    }

    @Test func artifactRoundTripsThroughTheEventEncoding() throws {
        var generator = SeededGenerator(seed: 1)
        let artifact = FeedForwardArtifact.randomMLP(widths: [4, 8, 3], using: &generator)
        let encoded = try ArtifactCodec.encode(artifact)
        #expect(encoded.format == "intellicore.ffn.v1" && encoded.encoding == "gzip+base64" && encoded.digest.hasPrefix("sha256:"))
        #expect(try ArtifactCodec.decode(json: ArtifactCodec.unpack(encoded)) == artifact)
        var tampered = encoded
        tampered.digest = "sha256:00"
        let error = #expect(throws: ModelError.self) { try ArtifactCodec.unpack(tampered) }
        #expect(error?.code == .digestMismatch)
    }

    @Test func inconsistentNetworksAreRejected() {
        var broken = handMade
        broken.layers[0].weights.removeLast()
        #expect(throws: ModelError.self) { try FeedForwardNetwork(broken) }
        var wrongWidth = handMade
        wrongWidth.inputSchema.features.removeLast()
        #expect(throws: ModelError.self) { try FeedForwardNetwork(wrongWidth) }
    }

    @Test func unknownCategoryIsAnInputError() throws {
        let network = try FeedForwardNetwork(handMade)
        let error = #expect(throws: ModelError.self) {
            try [10, 5].withUnsafeBufferPointer { try network.predict($0, rows: 1, backend: backend) }
        }
        #expect(error?.code == .invalidInput)
    }

    /// The artifact JSON shape documented in docs/model-artifacts.md.
    @Test func documentedArtifactShapeDecodes() throws {
        let json = """
            {"input_schema": {"tensor_name": "input", "features": [
                {"name": "tenure_months", "preprocessing": {"standardize": {"mean": 21.4, "standard_deviation": 9.8}}},
                {"name": "plan", "preprocessing": {"one_hot": {"categories": ["free", "pro"]}}},
                {"name": "monthly_spend", "preprocessing": {"none": {}}}]},
             "layers": [{"inputs": 4, "outputs": 2, "activation": "softmax", "weights": [1, 0, 0, 0, 0, 1, 0, 0], "bias": [0, 0]}],
             "output_name": "probabilities", "labels": ["stays", "churns"]}
            """
        let artifact = try ArtifactCodec.decode(json: Array(json.utf8))
        #expect(artifact.inputSchema.features[0].preprocessing == .standardize(mean: 21.4, standardDeviation: 9.8))
        #expect(artifact.inputSchema.features[1].preprocessing == .oneHot(categories: ["free", "pro"]))
        #expect(artifact.inputSchema.features[2].preprocessing == FeatureSpec.Preprocessing.none)
        let network = try FeedForwardNetwork(artifact)
        #expect(network.rawInputWidth == 3 && network.outputWidth == 2 && network.labels == ["stays", "churns"])
    }
}
