import Foundation
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A sealed dataset version's size, from the moment it was sealed.
struct StoredVersion: Sendable, Hashable {
    let sourceEventId: String
    let tenantId: String
    let datasetId: String
    let version: Int
    let bytes: Int
    let sealedAt: Date
}

/// The storage meter: GB-months of sealed dataset versions, computed per period.
struct StorageStore: Sendable {
    let schema: SchemaName

    private var table: String { schema.qualified("stored_datasets") }

    /// Records versions (a redelivered seal is skipped).
    func record(_ versions: [StoredVersion], on connection: PostgresConnection, logger: Logger) async throws {
        guard !versions.isEmpty else { return }
        try await connection.query("""
            INSERT INTO \(unescaped: table) (source_event_id, tenant_id, dataset_id, version, bytes, sealed_at)
            SELECT * FROM unnest(\(versions.map(\.sourceEventId))::text[], \(versions.map(\.tenantId))::text[], \(versions.map(\.datasetId))::text[],
                                 \(versions.map(\.version))::int[], \(versions.map(\.bytes))::bigint[], \(versions.map(\.sealedAt))::timestamptz[])
            ON CONFLICT (source_event_id) DO NOTHING
            """, logger: logger)
    }

    /// GB (10⁹ bytes) × the share of the period each version was kept, up to `until` (the period's
    /// end for a final invoice, now for a draft). Exact decimal arithmetic in PostgreSQL.
    func gigabyteMonths(tenant: String, period: BillingPeriod, until: Date, client: PostgresClient, logger: Logger) async throws -> Decimal {
        let end = min(until, period.end)
        guard end > period.start else { return 0 }
        let rows = try await client.query("""
            SELECT coalesce(sum(bytes::numeric / 1000000000
                       * extract(epoch FROM (\(end)::timestamptz - greatest(sealed_at, \(period.start)::timestamptz)))::numeric
                       / \(Int(period.end.timeIntervalSince(period.start)))), 0)::text
            FROM \(unescaped: table)
            WHERE tenant_id = \(tenant) AND sealed_at < \(end)
            """, logger: logger)
        for try await text in rows.decode(String.self) { return (Decimal(string: text) ?? 0).rounded(scale: 6) }
        return 0
    }

    /// Tenants that kept data during the period.
    func tenants(sealedBefore end: Date, client: PostgresClient, logger: Logger) async throws -> [String] {
        let rows = try await client.query("SELECT DISTINCT tenant_id FROM \(unescaped: table) WHERE sealed_at < \(end) ORDER BY tenant_id", logger: logger)
        var tenants: [String] = []
        for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
        return tenants
    }
}
