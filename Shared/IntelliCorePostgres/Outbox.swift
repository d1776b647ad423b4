import Foundation
import IntelliCoreEvents
import Logging
import PostgresNIO

/// The transactional outbox of one service schema.
///
/// A state change and its event commit together: call `enqueue` on the connection of the
/// transaction that makes the change. `OutboxRelay` publishes committed rows afterwards.
/// The row's `id` is the event's `ce_id`.
public struct Outbox: Sendable {
    public let schema: SchemaName

    public init(schema: SchemaName) {
        self.schema = schema
    }

    /// Adds the event to the outbox inside the caller's transaction.
    public func enqueue(_ event: CloudEvent, topic: String, key: String?, on connection: PostgresConnection, logger: Logger) async throws {
        var query = PostgresQuery(unsafeSQL: """
            INSERT INTO \(schema.qualified("outbox"))
                (id, topic, message_key, ce_source, ce_type, ce_time, ce_subject, ce_tenant_id, content_type, payload)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """)
        query.binds.append(event.id)
        query.binds.append(topic)
        query.binds.append(key)
        query.binds.append(event.source)
        query.binds.append(event.type)
        query.binds.append(event.time)
        query.binds.append(event.subject)
        query.binds.append(event.tenantId)
        query.binds.append(event.dataContentType)
        query.binds.append(ByteBuffer(bytes: event.data))
        try await connection.query(query, logger: logger)
    }

    /// Unpublished rows, oldest first.
    func pending(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxRow] {
        var query = PostgresQuery(unsafeSQL: """
            SELECT seq, id, topic, message_key, ce_source, ce_type, ce_time, ce_subject, ce_tenant_id, content_type, payload
            FROM \(schema.qualified("outbox")) WHERE published_at IS NULL ORDER BY seq LIMIT $1
            """)
        query.binds.append(limit)
        var rows: [OutboxRow] = []
        let sequence = try await connection.query(query, logger: logger)
        for try await (seq, id, topic, key, source, type, time, subject, tenant, contentType, payload) in sequence.decode(
            (Int64, String, String, String?, String, String, Date, String?, String?, String, ByteBuffer).self) {
            let event = CloudEvent(id: id, source: source, type: type, time: time, subject: subject, tenantId: tenant,
                                   dataContentType: contentType, data: Array(buffer: payload))
            rows.append(OutboxRow(seq: seq, topic: topic, key: key, event: event))
        }
        return rows
    }

    func markPublished(_ seqs: [Int64], on connection: PostgresConnection, logger: Logger) async throws {
        guard !seqs.isEmpty else { return }
        var query = PostgresQuery(unsafeSQL: "UPDATE \(schema.qualified("outbox")) SET published_at = now() WHERE seq = ANY($1)")
        query.binds.append(seqs)
        try await connection.query(query, logger: logger)
    }
}

struct OutboxRow: Sendable {
    let seq: Int64
    let topic: String
    let key: String?
    let event: CloudEvent
}
