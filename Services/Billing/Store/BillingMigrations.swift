import IntelliCorePostgres

/// The billing schema beyond the kit's tables (outbox, inbox, consumer offsets).
enum BillingMigrations {
    static let all = [
        Migration(version: 100, name: "usage ledger", sql: """
            -- The ledger: one row per metered event and meter, so a redelivered or re-sent event
            -- (same ce_id) is never counted twice.
            CREATE TABLE {schema}.usage_events (
                source_event_id text NOT NULL,
                meter text NOT NULL,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                model_version text NOT NULL,
                quantity numeric NOT NULL,
                occurred_at timestamptz NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source_event_id, meter)
            );
            -- Aggregated as the ledger grows, so that reading usage never scans raw events.
            -- hour is UTC.
            CREATE TABLE {schema}.usage_hourly (
                tenant_id text NOT NULL,
                meter text NOT NULL,
                hour timestamp NOT NULL,
                model_name text NOT NULL,
                model_version text NOT NULL,
                quantity numeric NOT NULL,
                PRIMARY KEY (tenant_id, meter, hour, model_name, model_version)
            )
            """),
    ]
}
