import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Conditions, health and the alert feed: what makes an alert fire once per episode.
struct AlertStore: Sendable {
    let schema: SchemaName

    private var conditions: String { schema.qualified("conditions") }
    private var health: String { schema.qualified("health") }
    private var alerts: String { schema.qualified("alerts") }

    /// One raise or clear of a condition, as the feed and the API show it.
    struct Alert: Codable, Sendable {
        let seq: Int64
        let modelName: String
        let modelVersion: String
        let condition: String
        /// `raised` or `cleared`.
        let state: String
        let value: Double
        let threshold: Double
        let detail: JSONValue?
        let at: Date
    }

    /// The version's active conditions, locked for the transaction.
    func active(_ version: MonitoredVersion, on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let rows = try await connection.query("""
            SELECT condition FROM \(unescaped: conditions)
            WHERE tenant_id = \(version.tenant) AND model_name = \(version.model) AND model_version = \(version.version) AND active
            FOR UPDATE
            """, logger: logger)
        var found: Set<String> = []
        for try await condition in rows.decode(String.self) { found.insert(condition) }
        return found
    }

    /// Records a condition starting or ceasing to hold, and its line in the feed.
    func change(_ version: MonitoredVersion, condition: String, active: Bool, value: Double, threshold: Double, detail: JSONValue?,
                on connection: PostgresConnection, logger: Logger) async throws -> Alert {
        try await connection.query("""
            INSERT INTO \(unescaped: conditions) (tenant_id, model_name, model_version, condition, active, value, threshold)
            VALUES (\(version.tenant), \(version.model), \(version.version), \(condition), \(active), \(value), \(threshold))
            ON CONFLICT (tenant_id, model_name, model_version, condition)
            DO UPDATE SET active = excluded.active, value = excluded.value, threshold = excluded.threshold, changed_at = now()
            """, logger: logger)
        let text = try detail.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        let state = active ? "raised" : "cleared"
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: alerts) (tenant_id, model_name, model_version, condition, state, value, threshold, detail)
            VALUES (\(version.tenant), \(version.model), \(version.version), \(condition), \(state), \(value), \(threshold), \(text))
            RETURNING seq, at
            """, logger: logger)
        for try await (seq, at) in rows.decode((Int64, Date).self) {
            return Alert(seq: seq, modelName: version.model, modelVersion: version.version, condition: condition, state: state, value: value,
                         threshold: threshold, detail: detail, at: at)
        }
        throw PostgresError.protocol("INSERT … RETURNING gave no row")
    }

    struct Health: Codable, Sendable {
        let modelName: String
        let modelVersion: String
        let health: ModelHealth
        let score: Double
        let reasons: [String]
        let changedAt: Date
    }

    func health(_ version: MonitoredVersion, on connection: PostgresConnection, logger: Logger) async throws -> ModelHealth? {
        let rows = try await connection.query("""
            SELECT health FROM \(unescaped: health)
            WHERE tenant_id = \(version.tenant) AND model_name = \(version.model) AND model_version = \(version.version)
            """, logger: logger)
        for try await text in rows.decode(String.self) { return ModelHealth(rawValue: text) }
        return nil
    }

    func setHealth(_ version: MonitoredVersion, _ value: ModelHealth, score: Double, reasons: [String], on connection: PostgresConnection,
                   logger: Logger) async throws {
        let text = String(decoding: try EventCodec.encode(reasons), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: health) (tenant_id, model_name, model_version, health, score, reasons)
            VALUES (\(version.tenant), \(version.model), \(version.version), \(value.rawValue), \(score), \(text))
            ON CONFLICT (tenant_id, model_name, model_version)
            DO UPDATE SET health = excluded.health, score = excluded.score, reasons = excluded.reasons, changed_at = now()
            """, logger: logger)
    }

    /// The versions' health of one model of the tenant.
    func health(tenant: String, model: String, client: PostgresClient, logger: Logger) async throws -> [Health] {
        let rows = try await client.query("""
            SELECT model_version, health, score, reasons, changed_at FROM \(unescaped: health)
            WHERE tenant_id = \(tenant) AND model_name = \(model) ORDER BY length(model_version), model_version
            """, logger: logger)
        var found: [Health] = []
        for try await (version, health, score, reasons, changed) in rows.decode((String, String, Double, String, Date).self) {
            found.append(Health(modelName: model, modelVersion: version, health: ModelHealth(rawValue: health) ?? .unknown, score: score,
                                reasons: try EventCodec.decode([String].self, from: Array(reasons.utf8)), changedAt: changed))
        }
        return found
    }

    /// The tenant's alert feed, newest first, before `before` (a seq), filtered by model and condition.
    func alerts(tenant: String, model: String?, condition: String?, before: Int64?, limit: Int, client: PostgresClient,
                logger: Logger) async throws -> [Alert] {
        let rows = try await client.query("""
            SELECT seq, model_name, model_version, condition, state, value, threshold, detail, at FROM \(unescaped: alerts)
            WHERE tenant_id = \(tenant) AND seq < \(before ?? Int64.max)
              AND (\(model)::text IS NULL OR model_name = \(model)) AND (\(condition)::text IS NULL OR condition = \(condition))
            ORDER BY seq DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Alert] = []
        for try await (seq, model, version, condition, state, value, threshold, detail, at)
            in rows.decode((Int64, String, String, String, String, Double, Double, String?, Date).self) {
            found.append(Alert(seq: seq, modelName: model, modelVersion: version, condition: condition, state: state, value: value,
                               threshold: threshold, detail: try detail.map { try EventCodec.decode(JSONValue.self, from: Array($0.utf8)) }, at: at))
        }
        return found
    }
}
