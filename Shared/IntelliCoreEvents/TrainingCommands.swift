import Foundation

/// Asks the orchestrator to train a model on a dataset version.
public struct TrainingRequested: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.requested.v1"
    public static let topic = Topic.trainingCommands

    public var jobId: String
    public var tenantId: String
    public var modelName: String
    public var datasetId: String
    /// nil — the latest sealed version
    public var datasetVersion: Int?
    /// A `TrainingAlgorithm` raw value.
    public var algorithm: String
    public var target: String
    /// nil — every column but the target
    public var features: [String]?
    public var hyperparameters: [String: JSONValue]
    /// Higher runs first.
    public var priority: Int
    public var deadline: Date?
    /// Deploy automatically when this gate passes.
    public var validationGate: ValidationGate?
    /// When true, the model's retraining policy becomes this job: a `DataDriftDetected` for the
    /// model starts the same job on the latest sealed version of the dataset, at most once per
    /// the orchestrator's retraining interval. False removes the policy; absent leaves it as it is.
    public var retrainOnDrift: Bool?

    public init(jobId: String, tenantId: String, modelName: String, datasetId: String, datasetVersion: Int? = nil, algorithm: String, target: String, features: [String]? = nil, hyperparameters: [String: JSONValue], priority: Int, deadline: Date? = nil, validationGate: ValidationGate? = nil, retrainOnDrift: Bool? = nil) {
        self.jobId = jobId
        self.tenantId = tenantId
        self.modelName = modelName
        self.datasetId = datasetId
        self.datasetVersion = datasetVersion
        self.algorithm = algorithm
        self.target = target
        self.features = features
        self.hyperparameters = hyperparameters
        self.priority = priority
        self.deadline = deadline
        self.validationGate = validationGate
        self.retrainOnDrift = retrainOnDrift
    }
}

public struct TrainingCancelRequested: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.cancel-requested.v1"
    public static let topic = Topic.trainingCommands

    public var jobId: String
    public var modelName: String
    public var reason: String?

    public init(jobId: String, modelName: String, reason: String? = nil) {
        self.jobId = jobId
        self.modelName = modelName
        self.reason = reason
    }
}

/// Moves an alias to a version, with an optional traffic policy.
public struct ModelDeployRequested: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.deploy-requested.v1"
    public static let topic = Topic.trainingCommands

    public var modelName: String
    public var version: Int
    public var alias: String
    public var trafficPolicy: TrafficPolicy?
    public var requestedBy: String?

    public init(modelName: String, version: Int, alias: String, trafficPolicy: TrafficPolicy? = nil, requestedBy: String? = nil) {
        self.modelName = modelName
        self.version = version
        self.alias = alias
        self.trafficPolicy = trafficPolicy
        self.requestedBy = requestedBy
    }
}

/// Moves an alias back to the version it pointed to before.
public struct ModelRollbackRequested: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.rollback-requested.v1"
    public static let topic = Topic.trainingCommands

    public var modelName: String
    public var alias: String
    public var reason: String?
    public var requestedBy: String?

    public init(modelName: String, alias: String, reason: String? = nil, requestedBy: String? = nil) {
        self.modelName = modelName
        self.alias = alias
        self.reason = reason
        self.requestedBy = requestedBy
    }
}
