public struct TenantCreated: DomainEvent, Hashable {
    public static let eventType = "intellicore.tenant.created.v1"
    public static let topic = Topic.tenants

    public var tenantId: String
    public var name: String
    public var plan: String

    public init(tenantId: String, name: String, plan: String) {
        self.tenantId = tenantId
        self.name = name
        self.plan = plan
    }
}

/// Only the key's hash travels; the key itself is shown once to its owner.
public struct ApiKeyIssued: DomainEvent, Hashable {
    public static let eventType = "intellicore.tenant.api-key-issued.v1"
    public static let topic = Topic.tenants

    public var tenantId: String
    public var keyId: String
    /// Lower-case hex SHA-256 of the key.
    public var keyHash: String
    public var role: APIKeyRole

    public init(tenantId: String, keyId: String, keyHash: String, role: APIKeyRole) {
        self.tenantId = tenantId
        self.keyId = keyId
        self.keyHash = keyHash
        self.role = role
    }
}

public struct ApiKeyRevoked: DomainEvent, Hashable {
    public static let eventType = "intellicore.tenant.api-key-revoked.v1"
    public static let topic = Topic.tenants

    public var tenantId: String
    public var keyId: String
    public var reason: String?

    public init(tenantId: String, keyId: String, reason: String? = nil) {
        self.tenantId = tenantId
        self.keyId = keyId
        self.reason = reason
    }
}
