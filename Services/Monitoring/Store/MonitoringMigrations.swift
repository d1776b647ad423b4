import IntelliCorePostgres

/// The monitoring schema beyond the kit's tables (outbox, inbox, consumer offsets).
enum MonitoringMigrations {
    static let all = [
        Migration(version: 100, name: "model catalog", sql: """
            -- Each registered version's input schema and training baseline (from ModelVersionRegistered),
            -- the catalog that attributes live inputs to a baseline.
            CREATE TABLE {schema}.model_versions (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                version integer NOT NULL,
                algorithm text NOT NULL,
                input_schema text NOT NULL,
                baseline text NOT NULL,
                output_width integer NOT NULL,
                labels text,
                metrics text NOT NULL,
                registered_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, version)
            );
            -- The alias's current traffic policy (ModelDeployed, ModelRolledBack).
            CREATE TABLE {schema}.aliases (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                alias text NOT NULL,
                version integer NOT NULL,
                policy text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, alias)
            );
            -- A model's own objectives and drift thresholds, over the platform defaults.
            CREATE TABLE {schema}.objectives (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                definition text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name)
            );
            -- Training jobs as their events tell (progress per epoch, the outcome).
            CREATE TABLE {schema}.training_jobs (
                job_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                status text NOT NULL,
                epoch integer,
                epochs integer,
                metrics text,
                version integer,
                reason text,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX training_jobs_by_tenant ON {schema}.training_jobs (tenant_id, updated_at DESC)
            """),
        Migration(version: 101, name: "alerts and health", sql: """
            -- Whether a condition (latency, error_rate, accuracy, mae, drift) holds for a version now:
            -- an alert is published when it starts to hold, never again until it cleared.
            CREATE TABLE {schema}.conditions (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                model_version text NOT NULL,
                condition text NOT NULL,
                active boolean NOT NULL,
                value double precision NOT NULL,
                threshold double precision NOT NULL,
                changed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, model_version, condition)
            );
            CREATE TABLE {schema}.health (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                model_version text NOT NULL,
                health text NOT NULL,
                score double precision NOT NULL,
                reasons text NOT NULL,
                changed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, model_version)
            );
            -- The alert feed: every raise and clear, as published.
            CREATE TABLE {schema}.alerts (
                seq bigserial PRIMARY KEY,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                model_version text NOT NULL,
                condition text NOT NULL,
                state text NOT NULL,
                value double precision NOT NULL,
                threshold double precision NOT NULL,
                detail text,
                at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX alerts_by_tenant ON {schema}.alerts (tenant_id, seq DESC)
            """),
        Migration(version: 102, name: "audit", sql: """
            -- AuditRecorded, stored once per event id.
            CREATE TABLE {schema}.audit_records (
                seq bigserial PRIMARY KEY,
                event_id text NOT NULL UNIQUE,
                tenant_id text NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                resource text NOT NULL,
                outcome text NOT NULL,
                details text,
                recorded_at timestamptz NOT NULL
            );
            CREATE INDEX audit_by_tenant ON {schema}.audit_records (tenant_id, seq DESC)
            """),
    ]
}
