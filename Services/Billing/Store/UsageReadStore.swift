import Foundation
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A tenant's usage of one meter, model and version in a period.
struct UsageLine: Codable, Sendable {
    let meter: String
    let modelName: String
    let modelVersion: String
    let quantity: Double

    var position: String { [meter, modelName, modelVersion].joined(separator: "\u{1F}") }
}

/// Reads usage from the hourly aggregates, never from the ledger's raw rows.
struct UsageReadStore: Sendable {
    let schema: SchemaName
    let client: PostgresClient

    /// Totals per meter, model and version between `start` and `end` (UTC hours), after `after`.
    func usage(tenant: String, start: Date, end: Date, meter: String?, model: String?, version: String?, after: String?, limit: Int,
               logger: Logger) async throws -> [UsageLine] {
        let rows = try await client.query("""
            SELECT meter, model_name, model_version, sum(quantity)::float8 FROM \(unescaped: schema.qualified("usage_hourly"))
            WHERE tenant_id = \(tenant) AND hour >= (\(start)::timestamptz AT TIME ZONE 'UTC') AND hour < (\(end)::timestamptz AT TIME ZONE 'UTC')
              AND (\(meter)::text IS NULL OR meter = \(meter)) AND (\(model)::text IS NULL OR model_name = \(model))
              AND (\(version)::text IS NULL OR model_version = \(version))
              AND (meter || chr(31) || model_name || chr(31) || model_version) > \(after ?? "")
            GROUP BY meter, model_name, model_version
            ORDER BY (meter || chr(31) || model_name || chr(31) || model_version) LIMIT \(limit)
            """, logger: logger)
        var lines: [UsageLine] = []
        for try await (meter, model, version, quantity) in rows.decode((String, String, String, Double).self) {
            lines.append(UsageLine(meter: meter, modelName: model, modelVersion: version, quantity: quantity))
        }
        return lines
    }
}
