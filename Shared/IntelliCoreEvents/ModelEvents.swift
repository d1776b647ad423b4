/// An immutable version with its artifact, metrics and feature baseline.
public struct ModelVersionRegistered: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.version-registered.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var version: Int
    public var tenantId: String
    public var runId: String?
    public var algorithm: String
    public var artifact: EncodedArtifact
    public var metrics: [String: Double]
    public var parameters: [String: JSONValue]
    public var featureBaseline: [FeatureBaseline]?

    public init(modelName: String, version: Int, tenantId: String, runId: String? = nil, algorithm: String, artifact: EncodedArtifact, metrics: [String: Double], parameters: [String: JSONValue], featureBaseline: [FeatureBaseline]? = nil) {
        self.modelName = modelName
        self.version = version
        self.tenantId = tenantId
        self.runId = runId
        self.algorithm = algorithm
        self.artifact = artifact
        self.metrics = metrics
        self.parameters = parameters
        self.featureBaseline = featureBaseline
    }
}

public struct ModelValidated: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.validated.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var version: Int
    public var gate: ValidationGate
    public var metricValue: Double
    public var championValue: Double?

    public init(modelName: String, version: Int, gate: ValidationGate, metricValue: Double, championValue: Double? = nil) {
        self.modelName = modelName
        self.version = version
        self.gate = gate
        self.metricValue = metricValue
        self.championValue = championValue
    }
}

public struct ModelValidationFailed: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.validation-failed.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var version: Int
    public var gate: ValidationGate
    public var metricValue: Double?
    public var reason: String

    public init(modelName: String, version: Int, gate: ValidationGate, metricValue: Double? = nil, reason: String) {
        self.modelName = modelName
        self.version = version
        self.gate = gate
        self.metricValue = metricValue
        self.reason = reason
    }
}

/// An alias moved; the traffic policy says how requests for the alias are routed.
public struct ModelDeployed: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.deployed.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var alias: String
    public var version: Int
    public var previousVersion: Int?
    public var trafficPolicy: TrafficPolicy

    public init(modelName: String, alias: String, version: Int, previousVersion: Int? = nil, trafficPolicy: TrafficPolicy) {
        self.modelName = modelName
        self.alias = alias
        self.version = version
        self.previousVersion = previousVersion
        self.trafficPolicy = trafficPolicy
    }
}

public struct ModelRolledBack: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.rolled-back.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var alias: String
    public var fromVersion: Int
    public var toVersion: Int
    public var reason: String?

    public init(modelName: String, alias: String, fromVersion: Int, toVersion: Int, reason: String? = nil) {
        self.modelName = modelName
        self.alias = alias
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.reason = reason
    }
}

public struct ModelRetired: DomainEvent, Hashable {
    public static let eventType = "intellicore.model.retired.v1"
    public static let topic = Topic.models

    public var modelName: String
    public var version: Int
    public var reason: String?

    public init(modelName: String, version: Int, reason: String? = nil) {
        self.modelName = modelName
        self.version = version
        self.reason = reason
    }
}
