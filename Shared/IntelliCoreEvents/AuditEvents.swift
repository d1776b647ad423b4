/// A command someone ran through a service, and its outcome.
public struct AuditRecorded: DomainEvent, Hashable {
    public static let eventType = "intellicore.audit.recorded.v1"
    public static let topic = Topic.audit

    public var tenantId: String
    public var actor: String
    public var action: String
    public var resource: String
    /// `succeeded` or `rejected`.
    public var outcome: String
    public var details: [String: JSONValue]?

    public init(tenantId: String, actor: String, action: String, resource: String, outcome: String, details: [String: JSONValue]? = nil) {
        self.tenantId = tenantId
        self.actor = actor
        self.action = action
        self.resource = resource
        self.outcome = outcome
        self.details = details
    }
}
