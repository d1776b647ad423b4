import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// What a batch added to one hourly aggregate row: the sum of its new ledger records there.
struct HourlyUsage: Sendable, Hashable {
    let tenantId: String
    let meter: String
    /// The hour (UTC) as seconds since 1970.
    let hour: Int64
    let modelName: String
    let modelVersion: String
    /// An exact decimal, as PostgreSQL's numeric writes it.
    let quantity: String
}

/// The usage ledger and its hourly aggregates, written in two steps so that a pipelined
/// consumer inserts one batch's records while the previous batch's aggregates commit.
struct LedgerStore: Sendable {
    let schema: SchemaName

    private var events: String { schema.qualified("usage_events") }
    private var hourly: String { schema.qualified("usage_hourly") }

    /// Inserts the records in one statement (a source event already in the ledger is skipped)
    /// and returns what the new ones add to each hourly aggregate, in key order. Takes no lock
    /// but the new rows' own.
    /// Quantities travel as the shortest decimal text of their `Double` (PostgreSQL's float8 to
    /// numeric cast formats each one with printf).
    func insert(_ records: [UsageRecord], on connection: PostgresConnection, logger: Logger) async throws -> [HourlyUsage] {
        guard !records.isEmpty else { return [] }
        let rows = try await connection.query("""
            WITH inserted AS (
                INSERT INTO \(unescaped: events) (source_event_id, meter, tenant_id, model_name, model_version, quantity, occurred_at)
                SELECT * FROM unnest(\(records.map(\.sourceEventId))::text[], \(records.map(\.meter.rawValue))::text[],
                                     \(records.map(\.tenantId))::text[], \(records.map(\.modelName))::text[], \(records.map(\.modelVersion))::text[],
                                     \(records.map { String($0.quantity) })::numeric[], \(records.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (source_event_id, meter) DO NOTHING
                RETURNING tenant_id, meter, model_name, model_version, quantity, occurred_at
            )
            SELECT tenant_id, meter, extract(epoch FROM date_trunc('hour', occurred_at AT TIME ZONE 'UTC'))::bigint,
                   model_name, model_version, sum(quantity)::text
            FROM inserted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
            """, logger: logger)
        var usage: [HourlyUsage] = []
        for try await (tenant, meter, hour, model, version, quantity) in rows.decode((String, String, Int64, String, String, String).self) {
            usage.append(HourlyUsage(tenantId: tenant, meter: meter, hour: hour, modelName: model, modelVersion: version, quantity: quantity))
        }
        return usage
    }

    /// Adds `usage` to the hourly aggregates in one statement. The rows are locked in key order,
    /// so the transactions of two billing instances (each with its own partitions, often the
    /// same tenants) wait on each other instead of deadlocking.
    func aggregate(_ usage: [HourlyUsage], on connection: PostgresConnection, logger: Logger) async throws {
        guard !usage.isEmpty else { return }
        try await connection.query("""
            INSERT INTO \(unescaped: hourly) (tenant_id, meter, hour, model_name, model_version, quantity)
            SELECT tenant_id, meter, to_timestamp(hour) AT TIME ZONE 'UTC', model_name, model_version, quantity
            FROM unnest(\(usage.map(\.tenantId))::text[], \(usage.map(\.meter))::text[], \(usage.map(\.hour))::bigint[],
                        \(usage.map(\.modelName))::text[], \(usage.map(\.modelVersion))::text[], \(usage.map(\.quantity))::numeric[])
                 AS added (tenant_id, meter, hour, model_name, model_version, quantity)
            ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (tenant_id, meter, hour, model_name, model_version)
            DO UPDATE SET quantity = \(unescaped: hourly).quantity + excluded.quantity
            """, logger: logger)
    }
}
