import Foundation

/// One versioned schema change. `sql` may use `{schema}`, replaced by the service's schema name.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    func statements(in schema: SchemaName) -> [String] {
        sql.replacingOccurrences(of: "{schema}", with: schema.rawValue)
            .split(separator: ";")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }
}

extension Migration {
    /// Version 1 of every service schema: the transactional outbox and the consumer inbox.
    /// Service migrations start at version 100.
    public static let platformBaseline = Migration(version: 1, name: "outbox and inbox", sql: """
        CREATE TABLE {schema}.outbox (
            seq bigserial PRIMARY KEY,
            id text NOT NULL UNIQUE,
            topic text NOT NULL,
            message_key text,
            ce_source text NOT NULL,
            ce_type text NOT NULL,
            ce_time timestamptz NOT NULL,
            ce_subject text,
            ce_tenant_id text,
            content_type text NOT NULL,
            payload bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        );
        CREATE INDEX outbox_unpublished ON {schema}.outbox (seq) WHERE published_at IS NULL;
        CREATE TABLE {schema}.inbox (
            consumer text NOT NULL,
            event_id text NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, event_id)
        )
        """)
}
