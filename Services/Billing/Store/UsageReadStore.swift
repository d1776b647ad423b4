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
    /// The exact quantity, for pricing.
    var exact: Decimal { Decimal(string: exactText) ?? 0 }
    let exactText: String

    enum CodingKeys: String, CodingKey { case meter, modelName, modelVersion, quantity }

    init(meter: String, modelName: String, modelVersion: String, exactText: String) {
        self.meter = meter
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.exactText = exactText
        quantity = Double(exactText) ?? 0
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        meter = try container.decode(String.self, forKey: .meter)
        modelName = try container.decode(String.self, forKey: .modelName)
        modelVersion = try container.decode(String.self, forKey: .modelVersion)
        quantity = try container.decode(Double.self, forKey: .quantity)
        exactText = String(quantity)
    }

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
            SELECT meter, model_name, model_version, sum(quantity)::text FROM \(unescaped: schema.qualified("usage_hourly"))
            WHERE tenant_id = \(tenant) AND hour >= (\(start)::timestamptz AT TIME ZONE 'UTC') AND hour < (\(end)::timestamptz AT TIME ZONE 'UTC')
              AND (\(meter)::text IS NULL OR meter = \(meter)) AND (\(model)::text IS NULL OR model_name = \(model))
              AND (\(version)::text IS NULL OR model_version = \(version))
              AND (meter || chr(31) || model_name || chr(31) || model_version) > \(after ?? "")
            GROUP BY meter, model_name, model_version
            ORDER BY (meter || chr(31) || model_name || chr(31) || model_version) LIMIT \(limit)
            """, logger: logger)
        var lines: [UsageLine] = []
        for try await (meter, model, version, quantity) in rows.decode((String, String, String, String).self) {
            lines.append(UsageLine(meter: meter, modelName: model, modelVersion: version, exactText: quantity))
        }
        return lines
    }

    /// Every tenant's total per meter in the period (for the summaries).
    func totals(period: BillingPeriod, logger: Logger) async throws -> [(tenant: String, meter: String, quantity: Decimal)] {
        let rows = try await client.query("""
            SELECT tenant_id, meter, sum(quantity)::text FROM \(unescaped: schema.qualified("usage_hourly"))
            WHERE hour >= (\(period.start)::timestamptz AT TIME ZONE 'UTC') AND hour < (\(period.end)::timestamptz AT TIME ZONE 'UTC')
            GROUP BY tenant_id, meter ORDER BY tenant_id, meter
            """, logger: logger)
        var totals: [(String, String, Decimal)] = []
        for try await (tenant, meter, quantity) in rows.decode((String, String, String).self) { totals.append((tenant, meter, Decimal(string: quantity) ?? 0)) }
        return totals
    }

    /// Tenants with usage in the period.
    func tenants(period: BillingPeriod, logger: Logger) async throws -> [String] {
        Array(Set(try await totals(period: period, logger: logger).map(\.tenant))).sorted()
    }
}
