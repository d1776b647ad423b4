import Foundation
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Period usage per meter and the quota state of each tenant and meter.
struct QuotaStore: Sendable {
    let schema: SchemaName

    /// The tenant's use of each meter in the period, from the hourly aggregates.
    func usage(tenant: String, period: BillingPeriod, on connection: PostgresConnection, logger: Logger) async throws -> [String: Decimal] {
        let rows = try await connection.query("""
            SELECT meter, sum(quantity)::text FROM \(unescaped: schema.qualified("usage_hourly"))
            WHERE tenant_id = \(tenant) AND hour >= (\(period.start)::timestamptz AT TIME ZONE 'UTC') AND hour < (\(period.end)::timestamptz AT TIME ZONE 'UTC')
            GROUP BY meter
            """, logger: logger)
        var used: [String: Decimal] = [:]
        for try await (meter, quantity) in rows.decode((String, String).self) { used[meter] = Decimal(string: quantity) ?? 0 }
        return used
    }

    /// Serialises quota decisions for `tenant` until the transaction ends, so that one reads the
    /// plan only after any other that changed it committed (a metering batch that read the old
    /// plan while a raise restored the quota published `QuotaExceeded` again, seen in a full run).
    func lock(tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(schema.rawValue + "/quota/" + tenant), 0))", logger: logger)
    }

    /// (period start, exceeded) per meter, locked for the transaction.
    func states(tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> [String: (start: Date, exceeded: Bool)] {
        let rows = try await connection.query("""
            SELECT meter, period_start, exceeded FROM \(unescaped: schema.qualified("quota_states")) WHERE tenant_id = \(tenant) FOR UPDATE
            """, logger: logger)
        var states: [String: (Date, Bool)] = [:]
        for try await (meter, start, exceeded) in rows.decode((String, Date, Bool).self) { states[meter] = (start, exceeded) }
        return states
    }

    func setState(tenant: String, meter: String, period: BillingPeriod, exceeded: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("quota_states")) (tenant_id, meter, period_start, exceeded)
            VALUES (\(tenant), \(meter), \(period.start), \(exceeded))
            ON CONFLICT (tenant_id, meter) DO UPDATE SET period_start = excluded.period_start, exceeded = excluded.exceeded, updated_at = now()
            """, logger: logger)
    }

    /// Tenants over some limit right now (for the new-period check).
    func exceededTenants(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query("""
            SELECT DISTINCT tenant_id FROM \(unescaped: schema.qualified("quota_states")) WHERE exceeded ORDER BY tenant_id
            """, logger: logger)
        var tenants: [String] = []
        for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
        return tenants
    }
}
