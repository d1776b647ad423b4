import IntelliCorePostgres

/// The training schema beyond the kit's tables: the datasets it learned of, their versions and
/// the training data itself — each `DatasetRecordsAppended` batch stored once, as it arrived.
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
    ]
}
