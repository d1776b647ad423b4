import Foundation
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

    /// A tenant's keys in key-id order, after `after`, at most `limit` (the caller asks one more
    /// than a page to learn whether there is a next one).
    func keys(tenant: String, after: String?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [KeySummary] {
        let rows = try await connection.query("""
            SELECT key_id, role, issued_at, revoked_at FROM \(unescaped: schema.qualified("api_keys"))
            WHERE tenant_id = \(tenant) AND key_id > \(after ?? "")
            ORDER BY key_id LIMIT \(limit)
            """, logger: logger)
        var keys: [KeySummary] = []
        for try await (keyId, role, issued, revoked) in rows.decode((String, String, Date, Date?).self) {
            keys.append(KeySummary(keyId: keyId, role: role, issuedAt: issued, revokedAt: revoked))
        }
        return keys
    }
}

/// A key as lists show it: never the key, never its hash.
struct KeySummary: Encodable, Sendable {
    let keyId: String
    let role: String
    let issuedAt: Date
    let revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case keyId = "key_id", role, issuedAt = "issued_at", revokedAt = "revoked_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyId, forKey: .keyId)
        try container.encode(role, forKey: .role)
        try container.encode(EventCodec.formatTime(issuedAt), forKey: .issuedAt)
        try container.encode(revokedAt.map(EventCodec.formatTime), forKey: .revokedAt)
    }
}
