import Foundation
import IntelliCoreEvents
import Logging
import PostgresNIO

/// The transactional outbox of one service schema.
///
/// A state change and its event commit together: call `enqueue` on the connection of the
/// transaction that makes the change. `OutboxRelay` publishes committed rows afterwards; the
/// enqueue also notifies the relay (`NOTIFY`, delivered when the transaction commits), so it
/// does not have to poll. The row's `id` is the event's `ce_id`.
public struct Outbox: Sendable {
    public let schema: SchemaName

    public init(schema: SchemaName) {
        self.schema = schema
    }

    /// The channel the relay listens on: one per schema.
    public var channel: String { "intellicore_outbox_\(schema.rawValue)" }

    /// Adds the event to the outbox inside the caller's transaction.
    public func enqueue(_ event: CloudEvent, topic: String, key: String?, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("outbox"))
                (id, topic, message_key, ce_source, ce_type, ce_time, ce_subject, ce_tenant_id, content_type, payload)
            VALUES (\(event.id), \(topic), \(key), \(event.source), \(event.type), \(event.time), \(event.subject),
                    \(event.tenantId), \(event.dataContentType), \(ByteBuffer(bytes: event.data)))
            """, logger: logger)
        // Several notifications on one channel in one transaction arrive as one.
        try await connection.query("SELECT pg_notify(\(channel), '')", logger: logger)
    }

    /// Whether an event for `key` on `topic` is committed but not yet acknowledged by Kafka. A
    /// message sent straight to the producer after this answers false lands behind every event
    /// the outbox holds for the key (same topic, same key: same partition, in order).
    public func hasUnpublished(topic: String, key: String, client: PostgresClient, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            SELECT 1 FROM \(unescaped: schema.qualified("outbox"))
            WHERE published_at IS NULL AND topic = \(topic) AND message_key = \(key) LIMIT 1
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// Unpublished rows, oldest first.
    func pending(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxRow] {
        let sequence = try await connection.query("""
            SELECT seq, id, topic, message_key, ce_source, ce_type, ce_time, ce_subject, ce_tenant_id, content_type, payload
            FROM \(unescaped: schema.qualified("outbox")) WHERE published_at IS NULL ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var rows: [OutboxRow] = []
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
        try await connection.query("""
            UPDATE \(unescaped: schema.qualified("outbox")) SET published_at = now() WHERE seq = ANY(\(seqs))
            """, logger: logger)
    }
}

struct OutboxRow: Sendable {
    let seq: Int64
    let topic: String
    let key: String?
    let event: CloudEvent
}
