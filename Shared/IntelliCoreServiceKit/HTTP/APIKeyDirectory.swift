import IntelliCoreEvents
import Synchronization

/// The API keys a service knows, by hash: materialised from `intellicore.tenants` into the
/// service's own `api_keys` table (`TenantEventsHandlers`), loaded from it at start and updated
/// after each committed change, so a lookup never touches the database.
public final class APIKeyDirectory: Sendable {
    public struct Entry: Sendable, Hashable {
        public var caller: Caller
        public var revoked: Bool
    }

    private let keys = Mutex<[String: Entry]>([:])

    public init() {}

    /// The caller of a key, or nil when the key is unknown or revoked.
    public func caller(forKeyHash hash: String) -> Caller? {
        keys.withLock { keys in
            guard let entry = keys[hash], !entry.revoked else { return nil }
            return entry.caller
        }
    }

    func replaceAll(with entries: [String: Entry]) {
        keys.withLock { $0 = entries }
    }

    func issue(hash: String, caller: Caller) {
        keys.withLock { $0[hash] = Entry(caller: caller, revoked: false) }
    }

    func revoke(tenantId: String, keyId: String) {
        keys.withLock { keys in
            for (hash, entry) in keys where entry.caller.keyId == keyId && entry.caller.tenantId == tenantId {
                keys[hash]?.revoked = true
            }
        }
    }

    public var count: Int { keys.withLock { $0.count } }
}
