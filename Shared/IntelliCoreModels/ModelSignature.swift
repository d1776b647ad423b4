/// A model's tensors as Open Inference Protocol v2 model metadata lists them: the raw input
/// tensor, one tensor per named feature, and the output. `-1` is the batch dimension.
public struct ModelSignature: Codable, Sendable, Hashable {
    public struct Tensor: Codable, Sendable, Hashable {
        public let name: String
        public let datatype: String
        public let shape: [Int]

        public init(name: String, datatype: String, shape: [Int]) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
        }
    }

    public let inputs: [Tensor]
    public let outputs: [Tensor]

    public init(inputs: [Tensor], outputs: [Tensor]) {
        self.inputs = inputs
        self.outputs = outputs
    }
}

extension FeedForwardNetwork {
    public var signature: ModelSignature {
        ModelSignature(
            inputs: [.init(name: inputSchema.tensorName, datatype: "FP32", shape: [-1, rawInputWidth])]
                + inputSchema.features.map { .init(name: $0.name, datatype: "FP32", shape: [-1]) },
            outputs: [.init(name: outputName, datatype: "FP32", shape: [-1, outputWidth])])
    }
}
