import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// The usage ledger and its hourly aggregates.
struct LedgerStore: Sendable {
    let schema: SchemaName

    private var events: String { schema.qualified("usage_events") }
    private var hourly: String { schema.qualified("usage_hourly") }

    /// Inserts the records (a source event already in the ledger is skipped) and adds the new
    /// ones to the hourly aggregates, in two statements for the whole batch. Returns how many were new.
    /// The aggregate rows are locked in one order (ORDER BY), so the transactions of two billing
    /// instances (each with its own partitions, often the same tenants) wait on each other
    /// instead of deadlocking.
    /// Quantities travel as the shortest decimal text of their `Double` (PostgreSQL's float8 to
    /// numeric cast formats each one with printf).
    @discardableResult
    func record(_ records: [UsageRecord], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        let rows = try await connection.query("""
            WITH inserted AS (
                INSERT INTO \(unescaped: events) (source_event_id, meter, tenant_id, model_name, model_version, quantity, occurred_at)
                SELECT * FROM unnest(\(records.map(\.sourceEventId))::text[], \(records.map(\.meter.rawValue))::text[],
                                     \(records.map(\.tenantId))::text[], \(records.map(\.modelName))::text[], \(records.map(\.modelVersion))::text[],
                                     \(records.map { String($0.quantity) })::numeric[], \(records.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (source_event_id, meter) DO NOTHING
                RETURNING tenant_id, meter, model_name, model_version, quantity, occurred_at
            ), aggregated AS (
                INSERT INTO \(unescaped: hourly) (tenant_id, meter, hour, model_name, model_version, quantity)
                SELECT tenant_id, meter, date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), model_name, model_version, sum(quantity)
                FROM inserted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
                ON CONFLICT (tenant_id, meter, hour, model_name, model_version)
                DO UPDATE SET quantity = \(unescaped: hourly).quantity + excluded.quantity
                RETURNING 1
            )
            SELECT count(*) FROM inserted
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
