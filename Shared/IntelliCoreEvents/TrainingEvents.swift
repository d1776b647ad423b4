public struct ModelTrainingQueued: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.queued.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var tenantId: String
    public var modelName: String
    public var priority: Int

    public init(jobId: String, tenantId: String, modelName: String, priority: Int) {
        self.jobId = jobId
        self.tenantId = tenantId
        self.modelName = modelName
        self.priority = priority
    }
}

public struct ModelTrainingStarted: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.started.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var runId: String
    public var tenantId: String
    public var modelName: String
    public var algorithm: String
    public var attempt: Int

    public init(jobId: String, runId: String, tenantId: String, modelName: String, algorithm: String, attempt: Int) {
        self.jobId = jobId
        self.runId = runId
        self.tenantId = tenantId
        self.modelName = modelName
        self.algorithm = algorithm
        self.attempt = attempt
    }
}

/// Metrics after one epoch.
public struct ModelTrainingProgress: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.progress.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var runId: String
    public var modelName: String
    public var epoch: Int
    public var epochs: Int
    public var metrics: [String: Double]

    public init(jobId: String, runId: String, modelName: String, epoch: Int, epochs: Int, metrics: [String: Double]) {
        self.jobId = jobId
        self.runId = runId
        self.modelName = modelName
        self.epoch = epoch
        self.epochs = epochs
        self.metrics = metrics
    }
}

public struct ModelTrainingCompleted: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.completed.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var runId: String
    public var tenantId: String
    public var modelName: String
    /// The version the run registered.
    public var version: Int
    public var metrics: [String: Double]
    public var durationSeconds: Double

    public init(jobId: String, runId: String, tenantId: String, modelName: String, version: Int, metrics: [String: Double], durationSeconds: Double) {
        self.jobId = jobId
        self.runId = runId
        self.tenantId = tenantId
        self.modelName = modelName
        self.version = version
        self.metrics = metrics
        self.durationSeconds = durationSeconds
    }
}

public struct ModelTrainingFailed: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.failed.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var runId: String?
    public var tenantId: String
    public var modelName: String
    public var reason: String
    public var retriable: Bool
    public var attempt: Int

    public init(jobId: String, runId: String? = nil, tenantId: String, modelName: String, reason: String, retriable: Bool, attempt: Int) {
        self.jobId = jobId
        self.runId = runId
        self.tenantId = tenantId
        self.modelName = modelName
        self.reason = reason
        self.retriable = retriable
        self.attempt = attempt
    }
}

public struct ModelTrainingCancelled: DomainEvent, Hashable {
    public static let eventType = "intellicore.training.cancelled.v1"
    public static let topic = Topic.trainingEvents

    public var jobId: String
    public var tenantId: String
    public var modelName: String
    public var reason: String?

    public init(jobId: String, tenantId: String, modelName: String, reason: String? = nil) {
        self.jobId = jobId
        self.tenantId = tenantId
        self.modelName = modelName
        self.reason = reason
    }
}
