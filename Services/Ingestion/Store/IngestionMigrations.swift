import IntelliCorePostgres

/// The ingestion schema beyond the kit's tables (tenants, keys, idempotency keys): the model
/// catalog materialised from `intellicore.models`, the training jobs submitted here, and the
/// datasets with their schema versions, dataset versions and quality reports.
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
        Migration(version: 101, name: "datasets, versions and quality reports", sql: """
            CREATE TABLE {schema}.datasets (
                dataset_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                name text NOT NULL,
                schema_version integer NOT NULL,
                next_version integer NOT NULL DEFAULT 1,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (tenant_id, name)
            );
            CREATE TABLE {schema}.dataset_schemas (
                dataset_id text NOT NULL REFERENCES {schema}.datasets,
                schema_version integer NOT NULL,
                definition text NOT NULL,
                changes text,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (dataset_id, schema_version)
            );
            -- status: receiving (an upload runs, heartbeat_at proves it), open (takes raw records),
            -- sealed, failed. attempt fences an upload: only the request that holds it writes
            CREATE TABLE {schema}.dataset_versions (
                dataset_id text NOT NULL REFERENCES {schema}.datasets,
                version integer NOT NULL,
                tenant_id text NOT NULL,
                schema_version integer NOT NULL,
                source text NOT NULL,
                format text,
                status text NOT NULL,
                rows_read bigint NOT NULL DEFAULT 0,
                rows_accepted bigint NOT NULL DEFAULT 0,
                rows_rejected bigint NOT NULL DEFAULT 0,
                bytes bigint NOT NULL DEFAULT 0,
                idempotency_key text,
                content_digest text,
                answer_status integer,
                answer bytea,
                attempt uuid,
                heartbeat_at timestamptz,
                failure_reason text,
                failure_message text,
                statistics text,
                accumulators text,
                created_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                PRIMARY KEY (dataset_id, version)
            );
            CREATE UNIQUE INDEX dataset_versions_idempotency ON {schema}.dataset_versions (tenant_id, idempotency_key)
                WHERE idempotency_key IS NOT NULL;
            CREATE UNIQUE INDEX dataset_versions_one_open ON {schema}.dataset_versions (dataset_id) WHERE status = 'open';
            CREATE INDEX dataset_versions_receiving ON {schema}.dataset_versions (heartbeat_at) WHERE status = 'receiving';
            -- column '' is a problem of the whole row.
            CREATE TABLE {schema}.quality_counts (
                dataset_id text NOT NULL,
                version integer NOT NULL,
                column_name text NOT NULL,
                rule text NOT NULL,
                rows bigint NOT NULL,
                PRIMARY KEY (dataset_id, version, column_name, rule),
                FOREIGN KEY (dataset_id, version) REFERENCES {schema}.dataset_versions
            );
            CREATE TABLE {schema}.quality_samples (
                dataset_id text NOT NULL,
                version integer NOT NULL,
                seq integer NOT NULL,
                row_number bigint NOT NULL,
                column_name text,
                rule text NOT NULL,
                value text,
                message text NOT NULL,
                PRIMARY KEY (dataset_id, version, seq),
                FOREIGN KEY (dataset_id, version) REFERENCES {schema}.dataset_versions
            )
            """),
    ]
}
