/// The platform's Kafka topics. Names are defined here and nowhere else.
///
/// Every deployment may put a prefix in front of the default names (`TopicNames(prefix:)`),
/// so that several environments can share one cluster.
public enum Topic: String, CaseIterable, Sendable, Codable {
    case ingestRaw = "intellicore.ingest.raw"
    case datasets = "intellicore.datasets"
    case trainingCommands = "intellicore.training.commands"
    case trainingEvents = "intellicore.training.events"
    case models = "intellicore.models"
    case predictionRequests = "intellicore.predictions.requests"
    case predictionResults = "intellicore.predictions.results"
    /// Answers for callers that wait (the gateway's synchronous predict), each sent to the
    /// partition its caller reads; see `ReplyHeader`.
    case predictionReplies = "intellicore.predictions.replies"
    case predictionFeedback = "intellicore.predictions.feedback"
    case monitoringAlerts = "intellicore.monitoring.alerts"
    case billing = "intellicore.billing"
    case tenants = "intellicore.tenants"
    case audit = "intellicore.audit"
    case deadLetter = "intellicore.deadletter"

    /// What the message key is on this topic; ordering holds per key.
    public var keyDescription: String {
        switch self {
        case .ingestRaw, .datasets: "dataset id"
        case .trainingCommands, .models, .monitoringAlerts: "model name"
        case .trainingEvents: "job id"
        case .predictionRequests: "model name (or caller's entity key)"
        case .predictionResults: "the request's key (entity or model name), else request id"
        case .predictionReplies: "as results; the partition is the one the waiting caller named"
        case .predictionFeedback: "request id"
        case .billing, .tenants, .audit: "tenant id"
        case .deadLetter: "original key"
        }
    }
}

/// Resolves topic names with an optional deployment prefix (`INTELLICORE_TOPIC_PREFIX`).
public struct TopicNames: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "") {
        self.prefix = prefix
    }

    public func name(_ topic: Topic) -> String { prefix + topic.rawValue }

    public subscript(_ topic: Topic) -> String { name(topic) }

    /// The topic a full name refers to, or nil when it is not one of the platform's.
    public func topic(named name: String) -> Topic? {
        guard name.hasPrefix(prefix) else { return nil }
        return Topic(rawValue: String(name.dropFirst(prefix.count)))
    }
}
