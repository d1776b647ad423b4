import Logging
import PostgresNIO

/// Effectively-once handling of consumed events.
///
/// The handler's writes and the `(consumer, ce_id)` inbox row commit in one transaction, so a
/// redelivered event is recognised and skipped.
public struct Inbox: Sendable {
    public let schema: SchemaName
    public let consumer: String

    public init(schema: SchemaName, consumer: String) {
        self.schema = schema
        self.consumer = consumer
    }

    /// Runs `handler` in a transaction with the inbox row, unless the event was processed before.
    /// Returns false for a duplicate (nothing was done).
    @discardableResult
    public func process(eventId: String, client: PostgresClient, logger: Logger,
                        _ handler: (PostgresConnection) async throws -> Void) async throws -> Bool {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                guard try await claim(eventId: eventId, on: connection, logger: logger) else { return false }
                try await handler(connection)
                return true
            }
        } catch let error as PostgresTransactionError {
            // The handler's own error (an `EventRejection`, say) matters to the caller, not the wrapper.
            throw error.closureError ?? error
        }
    }

    /// Inserts the inbox row on a connection already in a transaction; false if it existed.
    public func claim(eventId: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !claim(eventIds: [eventId], on: connection, logger: logger).isEmpty
    }

    /// Inserts the inbox rows of a whole batch in one statement, on a connection already in a
    /// transaction; returns the ids that were new (each once, however often the batch holds it).
    public func claim(eventIds: [String], on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        guard !eventIds.isEmpty else { return [] }
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("inbox")) (consumer, event_id)
            SELECT \(consumer), id FROM unnest(\(eventIds)::text[]) AS id
            ON CONFLICT DO NOTHING RETURNING event_id
            """, logger: logger)
        var fresh = Set<String>()
        for try await id in rows.decode(String.self) { fresh.insert(id) }
        return fresh
    }
}
