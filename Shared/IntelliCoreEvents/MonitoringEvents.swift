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

public struct DataDriftDetected: DomainEvent, Hashable {
    public static let eventType = "intellicore.monitoring.drift-detected.v1"
    public static let topic = Topic.monitoringAlerts

    public var modelName: String
    public var modelVersion: String
    public var feature: String
    /// `psi` or `ks`.
    public var statistic: String
    public var value: Double
    public var threshold: Double
    public var windowStart: Date
    public var windowEnd: Date
    public var severity: AlertSeverity

    public init(modelName: String, modelVersion: String, feature: String, statistic: String, value: Double, threshold: Double, windowStart: Date, windowEnd: Date, severity: AlertSeverity) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.feature = feature
        self.statistic = statistic
        self.value = value
        self.threshold = threshold
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.severity = severity
    }
}

public struct ModelHealthChanged: DomainEvent, Hashable {
    public static let eventType = "intellicore.monitoring.health-changed.v1"
    public static let topic = Topic.monitoringAlerts

    public var modelName: String
    public var modelVersion: String?
    public var previous: ModelHealth
    public var current: ModelHealth
    public var reason: String

    public init(modelName: String, modelVersion: String? = nil, previous: ModelHealth, current: ModelHealth, reason: String) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.previous = previous
        self.current = current
        self.reason = reason
    }
}
