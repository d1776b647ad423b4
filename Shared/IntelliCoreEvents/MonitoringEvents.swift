import Foundation

public struct ModelPerformanceDegraded: DomainEvent, Hashable {
    public static let eventType = "intellicore.monitoring.performance-degraded.v1"
    public static let topic = Topic.monitoringAlerts

    public var modelName: String
    public var modelVersion: String
    public var metric: String
    public var value: Double
    public var baseline: Double
    public var threshold: Double
    public var windowStart: Date
    public var windowEnd: Date
    public var severity: AlertSeverity

    public init(modelName: String, modelVersion: String, metric: String, value: Double, baseline: Double, threshold: Double, windowStart: Date, windowEnd: Date, severity: AlertSeverity) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.metric = metric
        self.value = value
        self.baseline = baseline
        self.threshold = threshold
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.severity = severity
    }
}

/// The live inputs of a model version moved away from its training baseline. Published when a
/// drift episode starts — a first feature drifted, or the share of drifted features reached the
/// model's limit (`dataset_drift`) — not again while it lasts. `feature`/`statistic`/`value`/
/// `threshold` name the drifted feature with the largest PSI and its PSI threshold (what v1
/// consumers read; a feature may have drifted on KS or JS alone); `scores` holds every feature's
/// statistics, `drifted_features` the ones past a threshold.
public struct DataDriftDetected: DomainEvent, Hashable {
    public static let eventType = "intellicore.monitoring.drift-detected.v1"
    public static let topic = Topic.monitoringAlerts

    public var modelName: String
    public var modelVersion: String
    public var feature: String
    /// `psi`, `ks` or `js`.
    public var statistic: String
    public var value: Double
    public var threshold: Double
    public var windowStart: Date
    public var windowEnd: Date
    public var severity: AlertSeverity
    public var scores: [FeatureDriftScore]?
    public var driftedFeatures: [String]?
    public var datasetDrift: Bool?
    /// Input rows compared with the baseline.
    public var sampleCount: Int?

    public init(modelName: String, modelVersion: String, feature: String, statistic: String, value: Double, threshold: Double, windowStart: Date,
                windowEnd: Date, severity: AlertSeverity, scores: [FeatureDriftScore]? = nil, driftedFeatures: [String]? = nil,
                datasetDrift: Bool? = nil, sampleCount: Int? = nil) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.feature = feature
        self.statistic = statistic
        self.value = value
        self.threshold = threshold
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.severity = severity
        self.scores = scores
        self.driftedFeatures = driftedFeatures
        self.datasetDrift = datasetDrift
        self.sampleCount = sampleCount
    }
}

/// One feature's distance from its training baseline: PSI always, KS for numeric features, the
/// Jensen–Shannon distance for categorical ones.
public struct FeatureDriftScore: Codable, Sendable, Hashable {
    public var feature: String
    public var psi: Double
    public var ks: Double?
    public var js: Double?
    public var drifted: Bool

    public init(feature: String, psi: Double, ks: Double? = nil, js: Double? = nil, drifted: Bool) {
        self.feature = feature
        self.psi = psi
        self.ks = ks
        self.js = js
        self.drifted = drifted
    }
}

/// A model version's health moved: `score` from 0 (failing) to 1 (healthy) and the reasons.
public struct ModelHealthChanged: DomainEvent, Hashable {
    public static let eventType = "intellicore.monitoring.health-changed.v1"
    public static let topic = Topic.monitoringAlerts

    public var modelName: String
    public var modelVersion: String?
    public var previous: ModelHealth
    public var current: ModelHealth
    public var reason: String
    public var score: Double?
    public var reasons: [String]?

    public init(modelName: String, modelVersion: String? = nil, previous: ModelHealth, current: ModelHealth, reason: String,
                score: Double? = nil, reasons: [String]? = nil) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.previous = previous
        self.current = current
        self.reason = reason
        self.score = score
        self.reasons = reasons
    }
}
