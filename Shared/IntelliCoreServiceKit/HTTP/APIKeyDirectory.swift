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
    private let pinned = Mutex<[String: Caller]>([:])

    public init() {}

    /// The caller of a key, or nil when the key is unknown or revoked.
    public func caller(forKeyHash hash: String) -> Caller? {
        if let pinned = pinned.withLock({ $0[hash] }) { return pinned }
        return keys.withLock { keys in
            guard let entry = keys[hash], !entry.revoked else { return nil }
            return entry.caller
        }
    }

    func replaceAll(with entries: [String: Entry]) {
        keys.withLock { $0 = entries }
    }

    /// A key that comes from configuration, not from `intellicore.tenants` (ingestion's bootstrap
    /// admin): it survives reloads of the directory and cannot be revoked by an event.
    public func pin(hash: String, caller: Caller) {
        pinned.withLock { $0[hash] = caller }
    }

    /// Adds a key issued by this service or read from the tenants topic.
    public func issue(hash: String, caller: Caller) {
        keys.withLock { $0[hash] = Entry(caller: caller, revoked: false) }
    }

    public func revoke(tenantId: String, keyId: String) {
        keys.withLock { keys in
            for (hash, entry) in keys where entry.caller.keyId == keyId && entry.caller.tenantId == tenantId {
                keys[hash]?.revoked = true
            }
        }
    }

    public var count: Int { keys.withLock { $0.count } }
}
