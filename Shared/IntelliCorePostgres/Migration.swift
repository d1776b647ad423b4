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
    /// The migrations every service schema starts with (versions 1…99); a service's own start at 100.
    public static let platform: [Migration] = [platformBaseline, consumerOffsetsAndWorkQueue, tenantsAndKeys, idempotencyKeys]

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

extension Migration {
    /// Version 2: consumer offsets kept in the database (`ConsumerOffsetStore`) and the work
    /// queue behind `QueueWorker` (priority, lease with expiry, retries).
    public static let consumerOffsetsAndWorkQueue = Migration(version: 2, name: "consumer offsets and work queue", sql: """
        CREATE TABLE {schema}.consumer_offsets (
            consumer_group text NOT NULL,
            topic text NOT NULL,
            partition integer NOT NULL,
            next_offset bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer_group, topic, partition)
        );
        CREATE TABLE {schema}.work_queue (
            id text PRIMARY KEY,
            queue text NOT NULL,
            tenant_id text,
            priority integer NOT NULL DEFAULT 0,
            payload bytea NOT NULL,
            state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running', 'done', 'failed', 'cancelled')),
            attempts integer NOT NULL DEFAULT 0,
            max_attempts integer NOT NULL DEFAULT 3,
            run_after timestamptz NOT NULL DEFAULT now(),
            lease_owner text,
            lease_until timestamptz,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX work_queue_claimable ON {schema}.work_queue (queue, priority DESC, created_at)
            WHERE state IN ('ready', 'running')
        """)
}

extension Migration {
    /// Version 3: the tenants and API keys each service materialises from `intellicore.tenants`
    /// to authenticate its HTTP callers (only hashes; a key itself is never stored).
    public static let tenantsAndKeys = Migration(version: 3, name: "tenants and api keys", sql: """
        CREATE TABLE {schema}.tenants (
            tenant_id text PRIMARY KEY,
            name text NOT NULL,
            plan text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE {schema}.api_keys (
            key_hash text PRIMARY KEY,
            key_id text NOT NULL,
            tenant_id text NOT NULL,
            role text NOT NULL,
            issued_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            UNIQUE (tenant_id, key_id)
        )
        """)
}

extension Migration {
    /// Version 4: the answers of commands sent with an `Idempotency-Key`, kept 24 hours, so that a
    /// retried command returns its first answer and has no second effect.
    public static let idempotencyKeys = Migration(version: 4, name: "idempotency keys", sql: """
        CREATE TABLE {schema}.idempotency_keys (
            tenant_id text NOT NULL,
            idempotency_key text NOT NULL,
            request_digest text NOT NULL,
            status integer,
            response bytea,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, idempotency_key)
        );
        CREATE INDEX idempotency_keys_created_at ON {schema}.idempotency_keys (created_at)
        """)
}
