import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// The `tenants` and `api_keys` tables of a service's schema, and the handlers that materialise
/// them from `intellicore.tenants` and keep the in-memory `APIKeyDirectory` in step.
struct APIKeyStore: Sendable {
    let schema: SchemaName
    let directory: APIKeyDirectory
    /// Notified with each change of a key, so that every replica's directory reloads it.
    let changes: ChangeChannel

    /// Reads every key into the directory (at start, before any request is authenticated).
    func load(client: PostgresClient, logger: Logger) async throws {
        let rows = try await client.query("""
            SELECT key_hash, key_id, tenant_id, role, revoked_at IS NOT NULL FROM \(unescaped: schema.qualified("api_keys"))
            """, logger: logger)
        var entries: [String: APIKeyDirectory.Entry] = [:]
        for try await (hash, keyId, tenant, role, revoked) in rows.decode((String, String, String, String, Bool).self) {
            guard let role = APIKeyRole(rawValue: role) else { continue }
            entries[hash] = .init(caller: Caller(tenantId: tenant, keyId: keyId, role: role), revoked: revoked)
        }
        directory.replaceAll(with: entries)
    }

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(TenantCreated.self) { _, tenant, transaction in
            try await transaction.connection.query("""
                INSERT INTO \(unescaped: schema.qualified("tenants")) (tenant_id, name, plan)
                VALUES (\(tenant.tenantId), \(tenant.name), \(tenant.plan))
                ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name, plan = EXCLUDED.plan
                """, logger: transaction.logger)
        }
        handlers.on(ApiKeyIssued.self) { event, key, transaction in
            guard key.keyHash.count == 64, key.keyHash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw EventRejection("key \(key.keyId): keyHash must be the lower-case hex SHA-256 of the key")
            }
            guard event.tenantId == nil || event.tenantId == key.tenantId else {
                throw EventRejection("key \(key.keyId): ce_tenantid \(event.tenantId ?? "") differs from the payload's tenant")
            }
            let inserted = try await transaction.connection.query("""
                INSERT INTO \(unescaped: schema.qualified("api_keys")) (key_hash, key_id, tenant_id, role)
                VALUES (\(key.keyHash), \(key.keyId), \(key.tenantId), \(key.role.rawValue))
                ON CONFLICT DO NOTHING
                RETURNING key_id
                """, logger: transaction.logger)
            var fresh = false
            for try await _ in inserted.decode(String.self) { fresh = true }
            if !fresh {
                // The same issue again (a re-sent event) is a no-op; anything else that collides
                // would rebind a key id or a hash: refused with its reason instead of retried forever.
                let existing = try await transaction.connection.query("""
                    SELECT key_hash, key_id, tenant_id FROM \(unescaped: schema.qualified("api_keys"))
                    WHERE key_hash = \(key.keyHash) OR (tenant_id = \(key.tenantId) AND key_id = \(key.keyId))
                    """, logger: transaction.logger)
                for try await (hash, keyId, tenant) in existing.decode((String, String, String).self)
                where hash != key.keyHash || keyId != key.keyId || tenant != key.tenantId {
                    throw EventRejection("key \(key.keyId) of tenant \(key.tenantId) collides with key \(keyId) of tenant \(tenant): "
                                         + "a key id and a key hash are each issued once")
                }
                return
            }
            try await transaction.notify(changes)
            let directory = directory
            transaction.afterCommit {
                directory.issue(hash: key.keyHash, caller: Caller(tenantId: key.tenantId, keyId: key.keyId, role: key.role))
            }
        }
        handlers.on(ApiKeyRevoked.self) { _, revoked, transaction in
            try await transaction.connection.query("""
                UPDATE \(unescaped: schema.qualified("api_keys")) SET revoked_at = coalesce(revoked_at, now())
                WHERE tenant_id = \(revoked.tenantId) AND key_id = \(revoked.keyId)
                """, logger: transaction.logger)
            try await transaction.notify(changes)
            let directory = directory
            transaction.afterCommit { directory.revoke(tenantId: revoked.tenantId, keyId: revoked.keyId) }
        }
        return handlers
    }
}
