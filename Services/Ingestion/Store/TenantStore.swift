import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Ingestion's authoritative tenants and keys: the kit's `tenants` and `api_keys` tables of its
/// schema, written in the command's transaction with the event (the tenants consumer then sees
/// its own events again and finds them already there).
struct TenantStore: Sendable {
    let schema: SchemaName

    /// False when the tenant id is taken.
    func create(_ tenant: TenantCreated, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("tenants")) (tenant_id, name, plan) VALUES (\(tenant.tenantId), \(tenant.name), \(tenant.plan))
            ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    func exists(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM \(unescaped: schema.qualified("tenants")) WHERE tenant_id = \(tenant)", logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    func issue(_ key: ApiKeyIssued, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("api_keys")) (key_hash, key_id, tenant_id, role)
            VALUES (\(key.keyHash), \(key.keyId), \(key.tenantId), \(key.role.rawValue))
            """, logger: logger)
    }

    /// False when the tenant has no such key, or it is already revoked.
    func revoke(tenant: String, keyId: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE \(unescaped: schema.qualified("api_keys")) SET revoked_at = now()
            WHERE tenant_id = \(tenant) AND key_id = \(keyId) AND revoked_at IS NULL RETURNING key_id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }
}
