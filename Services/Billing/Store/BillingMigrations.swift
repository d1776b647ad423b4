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
        Migration(version: 101, name: "plans, quotas and invoices", sql: """
            -- definition: the Plan as JSON, amounts as decimal strings
            CREATE TABLE {schema}.plans (
                plan_id text PRIMARY KEY,
                currency text NOT NULL,
                definition text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE {schema}.tenant_plans (
                tenant_id text PRIMARY KEY,
                plan_id text NOT NULL,
                assigned_at timestamptz NOT NULL DEFAULT now()
            );
            -- Whether a tenant is over a meter's hard limit, and for which period.
            CREATE TABLE {schema}.quota_states (
                tenant_id text NOT NULL,
                meter text NOT NULL,
                period_start timestamptz NOT NULL,
                exceeded boolean NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, meter)
            );
            -- The period totals last published as UsageRecorded summaries.
            CREATE TABLE {schema}.usage_published (
                tenant_id text NOT NULL,
                meter text NOT NULL,
                period_start timestamptz NOT NULL,
                quantity numeric NOT NULL,
                PRIMARY KEY (tenant_id, meter, period_start)
            );
            -- Final invoices, one per tenant and period at most.
            CREATE TABLE {schema}.invoices (
                invoice_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                period_start timestamptz NOT NULL,
                period_end timestamptz NOT NULL,
                plan_id text,
                currency text NOT NULL,
                total numeric NOT NULL,
                lines text NOT NULL,
                issued_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (tenant_id, period_start)
            )
            """),
        Migration(version: 102, name: "stored datasets", sql: """
            -- Sealed dataset versions and their size: the storage meter (GB-months) is computed per
            -- period from these, from the seal on.
            CREATE TABLE {schema}.stored_datasets (
                source_event_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                dataset_id text NOT NULL,
                version integer NOT NULL,
                bytes bigint NOT NULL,
                sealed_at timestamptz NOT NULL
            );
            CREATE INDEX stored_datasets_by_tenant ON {schema}.stored_datasets (tenant_id, sealed_at)
            """),
        Migration(version: 103, name: "byte-ordered ledger keys", sql: """
            -- The ledger's keys are identifiers, never text for people: compared byte by byte
            -- ("C"), not by the database's locale (strcoll was a visible share of PostgreSQL's
            -- CPU per metered event). Rewrites both tables and their primary keys once.
            ALTER TABLE {schema}.usage_events
                ALTER COLUMN source_event_id TYPE text COLLATE "C",
                ALTER COLUMN meter TYPE text COLLATE "C";
            ALTER TABLE {schema}.usage_hourly
                ALTER COLUMN tenant_id TYPE text COLLATE "C",
                ALTER COLUMN meter TYPE text COLLATE "C",
                ALTER COLUMN model_name TYPE text COLLATE "C",
                ALTER COLUMN model_version TYPE text COLLATE "C"
            """),
    ]
}
