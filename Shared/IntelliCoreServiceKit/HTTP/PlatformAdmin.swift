/// The platform administrator: the caller of the configured platform key (`INGESTION_ADMIN_KEY`,
/// which the services that have administrator routes pin), above every tenant. Its tenant id is
/// reserved; no tenant can be created under it.
public enum PlatformAdmin {
    public static let tenantId = "platform"
    public static let caller = Caller(tenantId: tenantId, keyId: "bootstrap-admin", role: .admin)

    public static func isPlatformAdmin(_ caller: Caller) -> Bool { caller == Self.caller }

    /// The platform administrator, or a 403 naming who may do this.
    public static func require(_ context: APIRequestContext, to action: String) throws -> Caller {
        let caller = try context.requireCaller(.admin)
        guard isPlatformAdmin(caller) else { throw APIError.forbidden("only the platform administrator (INGESTION_ADMIN_KEY) \(action)") }
        return caller
    }

    /// An admin of `tenant` itself, or the platform administrator.
    public static func requireAdmin(of tenant: String, _ context: APIRequestContext) throws -> Caller {
        let caller = try context.requireCaller(.admin)
        guard isPlatformAdmin(caller) || caller.tenantId == tenant else {
            // Another tenant's resources are answered as absent, never as forbidden.
            throw APIError.notFound("tenant \(tenant) does not exist")
        }
        return caller
    }
}
