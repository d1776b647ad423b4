import IntelliCoreEvents

extension EventTransaction {
    /// Publishes `AuditRecorded` for a command `caller` ran, in this transaction: the audit record
    /// exists exactly when the command's effects do. Key and tenant: `tenant`, the tenant the
    /// command acted on (the caller's, unless the platform administrator acted on another one).
    public func audit(_ action: AuditAction, by caller: Caller, tenant: String? = nil, resource: String, outcome: AuditOutcome = .succeeded,
                      details: [String: JSONValue]? = nil) async throws {
        let tenant = tenant ?? caller.tenantId
        let record = AuditRecorded(tenantId: tenant, actor: caller.keyId, action: action.rawValue, resource: resource,
                                   outcome: outcome.rawValue, details: details)
        try await publish(record, key: tenant, subject: resource, tenantId: tenant)
    }
}
