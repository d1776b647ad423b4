/// An Open Inference Protocol v2 request, plus the model it is for.
public struct PredictionRequested: DomainEvent, Hashable {
    public static let eventType = "intellicore.prediction.requested.v1"
    public static let topic = Topic.predictionRequests

    /// Echoed in the answer; the correlation and dedupe key.
    public var id: String
    public var modelName: String
    /// An explicit version ("3"); nil follows the alias.
    public var modelVersion: String?
    /// nil — `champion`.
    public var alias: String?
    public var parameters: [String: JSONValue]?
    public var inputs: [InferenceTensor]
    public var outputs: [RequestedOutput]?

    public init(id: String, modelName: String, modelVersion: String? = nil, alias: String? = nil, parameters: [String: JSONValue]? = nil, inputs: [InferenceTensor], outputs: [RequestedOutput]? = nil) {
        self.id = id
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.alias = alias
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// An Open Inference Protocol v2 response.
public struct PredictionCompleted: DomainEvent, Hashable {
    public static let eventType = "intellicore.prediction.completed.v1"
    public static let topic = Topic.predictionResults

    public var id: String
    public var modelName: String
    public var modelVersion: String
    public var outputs: [InferenceTensor]
    public var parameters: [String: JSONValue]?
    /// True when a shadow version produced it; never counted as served.
    public var shadow: Bool?
    public var timings: PredictionTimings?

    public init(id: String, modelName: String, modelVersion: String, outputs: [InferenceTensor], parameters: [String: JSONValue]? = nil, shadow: Bool? = nil, timings: PredictionTimings? = nil) {
        self.id = id
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.outputs = outputs
        self.parameters = parameters
        self.shadow = shadow
        self.timings = timings
    }
}

public struct PredictionFailed: DomainEvent, Hashable {
    public static let eventType = "intellicore.prediction.failed.v1"
    public static let topic = Topic.predictionResults

    public var id: String
    public var modelName: String?
    public var modelVersion: String?
    /// `invalid_shape`, `invalid_datatype`, `non_finite_input`, `unknown_model`, `unknown_version`, `not_deployed`, `quota_exceeded`, `payload_too_large`, `undecodable` …
    public var code: String
    public var message: String
    public var shadow: Bool?

    public init(id: String, modelName: String? = nil, modelVersion: String? = nil, code: String, message: String, shadow: Bool? = nil) {
        self.id = id
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.code = code
        self.message = message
        self.shadow = shadow
    }
}

/// Ground truth for an earlier prediction.
public struct PredictionFeedbackReceived: DomainEvent, Hashable {
    public static let eventType = "intellicore.prediction.feedback-received.v1"
    public static let topic = Topic.predictionFeedback

    public var requestId: String
    public var modelName: String
    public var modelVersion: String?
    public var groundTruth: [Double]

    public init(requestId: String, modelName: String, modelVersion: String? = nil, groundTruth: [Double]) {
        self.requestId = requestId
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.groundTruth = groundTruth
    }
}
