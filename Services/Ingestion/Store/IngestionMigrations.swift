import IntelliCorePostgres

/// The ingestion schema beyond the kit's tables (tenants, keys, idempotency keys): the model
/// catalog materialised from `intellicore.models` and the training jobs submitted here.
enum IngestionMigrations {
    static let all = [
        Migration(version: 100, name: "model catalog and training jobs", sql: """
            CREATE TABLE {schema}.model_versions (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                version integer NOT NULL,
                signature text NOT NULL,
                registered_at timestamptz NOT NULL DEFAULT now(),
                retired_at timestamptz,
                PRIMARY KEY (tenant_id, model_name, version)
            );
            CREATE TABLE {schema}.deployments (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                alias text NOT NULL,
                version integer NOT NULL,
                traffic_policy text NOT NULL,
                previous_version integer,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, alias)
            );
            CREATE TABLE {schema}.training_jobs (
                job_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                status text NOT NULL,
                submitted_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """),
    ]
}
