import IntelliCorePostgres

/// The training schema beyond the kit's tables: the datasets it learned of, their versions and
/// the training data itself — each `DatasetRecordsAppended` batch stored once, as it arrived;
/// then jobs, runs with their metric history, checkpoints and the model registry.
enum TrainingMigrations {
    static let all = [
        Migration(version: 100, name: "training data", sql: """
            CREATE TABLE {schema}.datasets (
                dataset_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                name text NOT NULL,
                target text
            );
            CREATE TABLE {schema}.dataset_schemas (
                dataset_id text NOT NULL,
                schema_version integer NOT NULL,
                definition text NOT NULL,
                PRIMARY KEY (dataset_id, schema_version)
            );
            -- status: receiving (batches arrive), sealed (complete, trainable), failed (discarded),
            -- incomplete (sealed upstream but rows are missing here: never trained on)
            CREATE TABLE {schema}.dataset_versions (
                dataset_id text NOT NULL,
                version integer NOT NULL,
                tenant_id text NOT NULL,
                schema_version integer NOT NULL,
                status text NOT NULL,
                row_count bigint,
                statistics text,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (dataset_id, version)
            );
            -- One row per DatasetRecordsAppended: rows first_row … first_row + row_count - 1 of
            -- the version, the event's JSON payload kept as it arrived.
            CREATE TABLE {schema}.dataset_batches (
                dataset_id text NOT NULL,
                version integer NOT NULL,
                first_row bigint NOT NULL,
                row_count integer NOT NULL,
                payload bytea NOT NULL,
                PRIMARY KEY (dataset_id, version, first_row)
            )
            """),
        Migration(version: 110, name: "jobs, runs and the model registry", sql: """
            -- One row per TrainingRequested. status: queued, running, completed, failed, cancelled.
            -- The job's place in the queue (priority, leases, attempts) is the kit's work_queue row of the same id.
            CREATE TABLE {schema}.jobs (
                seq bigserial NOT NULL UNIQUE,
                job_id text PRIMARY KEY,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                request text NOT NULL,
                status text NOT NULL,
                priority integer NOT NULL,
                run_id text,
                attempt integer NOT NULL DEFAULT 0,
                epoch integer NOT NULL DEFAULT 0,
                epochs integer,
                metrics text,
                version integer,
                reason text,
                created_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                finished_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX jobs_by_tenant ON {schema}.jobs (tenant_id, seq);
            -- A job's experiment run: parameters written once, status and duration, the data it used.
            CREATE TABLE {schema}.runs (
                seq bigserial NOT NULL UNIQUE,
                run_id text PRIMARY KEY,
                job_id text NOT NULL UNIQUE,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                algorithm text NOT NULL,
                dataset_id text NOT NULL,
                dataset_version integer NOT NULL,
                parameters text NOT NULL,
                tags text NOT NULL,
                status text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz
            );
            CREATE INDEX runs_by_tenant ON {schema}.runs (tenant_id, seq);
            -- Every metric of every epoch (step), with when it was recorded.
            CREATE TABLE {schema}.run_metrics (
                run_id text NOT NULL,
                name text NOT NULL,
                step integer NOT NULL,
                value double precision NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (run_id, name, step)
            );
            -- The latest checkpoint of a running job: a resumed attempt continues from it.
            CREATE TABLE {schema}.checkpoints (
                job_id text PRIMARY KEY,
                epoch integer NOT NULL,
                state bytea NOT NULL,
                saved_at timestamptz NOT NULL DEFAULT now()
            );
            -- Immutable versions, numbered per model, and a job registers at most one (job_id unique).
            CREATE TABLE {schema}.model_versions (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                version integer NOT NULL,
                job_id text UNIQUE,
                run_id text,
                algorithm text NOT NULL,
                status text NOT NULL,
                dataset_id text NOT NULL,
                dataset_version integer NOT NULL,
                metrics text NOT NULL,
                parameters text NOT NULL,
                input_schema text NOT NULL,
                artifact text NOT NULL,
                digest text NOT NULL,
                baseline text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, version)
            );
            CREATE TABLE {schema}.aliases (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                alias text NOT NULL,
                version integer NOT NULL,
                previous_version integer,
                traffic_policy text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, model_name, alias)
            );
            -- Append-only: every move of every alias, who asked and why.
            CREATE TABLE {schema}.alias_history (
                id bigserial PRIMARY KEY,
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                alias text NOT NULL,
                from_version integer,
                to_version integer NOT NULL,
                action text NOT NULL,
                actor text NOT NULL,
                reason text,
                moved_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX alias_history_by_model ON {schema}.alias_history (tenant_id, model_name, alias, id)
            """),
        Migration(version: 111, name: "retraining policies", sql: """
            -- A model's retraining policy: the job to run again, on the latest sealed version, when
            -- its inputs drift, and when it last did.
            CREATE TABLE {schema}.retraining_policies (
                tenant_id text NOT NULL,
                model_name text NOT NULL,
                request text NOT NULL,
                last_job_id text,
                last_triggered_at timestamptz,
                PRIMARY KEY (tenant_id, model_name)
            )
            """),
    ]
}
