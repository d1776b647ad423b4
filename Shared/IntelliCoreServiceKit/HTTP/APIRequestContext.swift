import Hummingbird
import IntelliCoreEvents

/// Who is calling: the tenant, key and role an API key resolved to.
public struct Caller: Sendable, Hashable {
    public let tenantId: String
    public let keyId: String
    public let role: APIKeyRole

    public init(tenantId: String, keyId: String, role: APIKeyRole) {
        self.tenantId = tenantId
        self.keyId = keyId
        self.role = role
    }
}

/// The request context of every IntelliCore HTTP API: Hummingbird's core context plus the caller
/// that `APIKeyAuthenticator` resolved (nil on public routes such as health and metrics).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?

    public init(source: Source) {
        coreContext = .init(source: source)
        caller = nil
    }

    /// The caller, who must be allowed to act as `role`: 401 without an authenticated caller,
    /// 403 when the key's role is below `role`.
    public func requireCaller(_ role: APIKeyRole) throws(APIError) -> Caller {
        guard let caller else { throw APIError.unauthorized("an API key is required: send Authorization: Bearer <key>") }
        guard caller.role.allows(role) else {
            throw APIError.forbidden("this action needs the \(role.rawValue) role; the key has \(caller.role.rawValue)")
        }
        return caller
    }
}
