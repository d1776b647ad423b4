import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// `AuditRecorded` events, once per event id, served newest first.
struct AuditStore: Sendable {
    let schema: SchemaName

    private var records: String { schema.qualified("audit_records") }

    struct Record: Codable, Sendable {
        let seq: Int64
        let eventId: String
        let actor: String
        let action: String
        let resource: String
        let outcome: String
        let details: [String: JSONValue]?
        let recordedAt: Date
    }

    struct Filter: Sendable {
        var actor: String?
        var action: String?
        var since: Date?
        var until: Date?
    }

    func save(eventId: String, _ audit: AuditRecorded, at time: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let details = try audit.details.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        try await connection.query("""
            INSERT INTO \(unescaped: records) (event_id, tenant_id, actor, action, resource, outcome, details, recorded_at)
            VALUES (\(eventId), \(audit.tenantId), \(audit.actor), \(audit.action), \(audit.resource), \(audit.outcome), \(details), \(time))
            ON CONFLICT (event_id) DO NOTHING
            """, logger: logger)
    }

    func records(tenant: String, filter: Filter, before: Int64?, limit: Int, client: PostgresClient, logger: Logger) async throws -> [Record] {
        let rows = try await client.query("""
            SELECT seq, event_id, actor, action, resource, outcome, details, recorded_at FROM \(unescaped: records)
            WHERE tenant_id = \(tenant) AND seq < \(before ?? Int64.max)
              AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor)) AND (\(filter.action)::text IS NULL OR action = \(filter.action))
              AND recorded_at >= \(filter.since ?? Date.distantPast) AND recorded_at < \(filter.until ?? Date.distantFuture)
            ORDER BY seq DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Record] = []
        for try await (seq, id, actor, action, resource, outcome, details, recorded)
            in rows.decode((Int64, String, String, String, String, String, String?, Date).self) {
            found.append(Record(seq: seq, eventId: id, actor: actor, action: action, resource: resource, outcome: outcome,
                                details: try details.map { try EventCodec.decode([String: JSONValue].self, from: Array($0.utf8)) }, recordedAt: recorded))
        }
        return found
    }
}
