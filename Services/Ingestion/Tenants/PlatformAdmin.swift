import IntelliCoreServiceKit

/// The platform administrator: the caller of the configured `INGESTION_ADMIN_KEY`, above every
/// tenant. Its tenant id is reserved; no tenant can be created under it.
enum PlatformAdmin {
    static let tenantId = "platform"
    static let caller = Caller(tenantId: tenantId, keyId: "bootstrap-admin", role: .admin)

    static func isPlatformAdmin(_ caller: Caller) -> Bool { caller == Self.caller }

    /// An admin of `tenant` itself, or the platform administrator.
    static func requireAdmin(of tenant: String, _ context: APIRequestContext) throws -> Caller {
        let caller = try context.requireCaller(.admin)
        guard isPlatformAdmin(caller) || caller.tenantId == tenant else {
            // Another tenant's resources are answered as absent, never as forbidden.
            throw APIError.notFound("tenant \(tenant) does not exist")
        }
        return caller
    }
}
