/// Artifact format `intellicore.ffn.v1`: a feed-forward network with its input schema and
/// preprocessing, as training produces it and inference loads it. See docs/model-artifacts.md.
public struct FeedForwardArtifact: Codable, Sendable, Hashable {
    public static let format = "intellicore.ffn.v1"

    public var inputSchema: InputSchema
    /// Applied in order; layer i's `inputs` equals layer i-1's `outputs`.
    public var layers: [DenseLayerSpec]
    /// The single output tensor's name (OIP `outputs[0].name`), e.g. `probabilities`.
    public var outputName: String
    /// Optional class labels, one per output column.
    public var labels: [String]?

    public init(inputSchema: InputSchema, layers: [DenseLayerSpec], outputName: String, labels: [String]? = nil) {
        self.inputSchema = inputSchema
        self.layers = layers
        self.outputName = outputName
        self.labels = labels
    }
}

/// What a request must send and how raw values become the network's input vector.
public struct InputSchema: Codable, Sendable, Hashable {
    /// The name of the `[n, d]` FP32 tensor form of the input (d = `features.count`).
    public var tensorName: String
    public var features: [FeatureSpec]

    public init(tensorName: String, features: [FeatureSpec]) {
        self.tensorName = tensorName
        self.features = features
    }

    /// Width of the raw row a request sends: one value per feature.
    public var rawWidth: Int { features.count }

    /// Width after preprocessing (one-hot features expand), the first layer's `inputs`.
    public var encodedWidth: Int { features.reduce(0) { $0 + $1.encodedWidth } }
}

/// One input feature and its preprocessing.
public struct FeatureSpec: Codable, Sendable, Hashable {
    public enum Preprocessing: Codable, Sendable, Hashable {
        /// Used as is.
        case none
        /// (x − mean) / standardDeviation.
        case standardize(mean: Float, standardDeviation: Float)
        /// One column per category; a request sends the category name (BYTES) or its index (FP32).
        case oneHot(categories: [String])
    }

    public var name: String
    public var preprocessing: Preprocessing

    public init(name: String, preprocessing: Preprocessing = .none) {
        self.name = name
        self.preprocessing = preprocessing
    }

    public var encodedWidth: Int {
        if case .oneHot(let categories) = preprocessing { return categories.count }
        return 1
    }
}

public enum Activation: String, Codable, Sendable, Hashable {
    case identity, relu, tanh, sigmoid, softmax
}

/// A fully connected layer: y = activation(x · Wᵀ + b), W stored `outputs × inputs`, row-major.
public struct DenseLayerSpec: Codable, Sendable, Hashable {
    public var inputs: Int
    public var outputs: Int
    public var activation: Activation
    public var weights: [Float]
    public var bias: [Float]

    public init(inputs: Int, outputs: Int, activation: Activation, weights: [Float], bias: [Float]) {
        self.inputs = inputs
        self.outputs = outputs
        self.activation = activation
        self.weights = weights
        self.bias = bias
    }
}
