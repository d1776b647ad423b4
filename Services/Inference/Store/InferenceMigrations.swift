import IntelliCorePostgres

/// The inference schema: versions and artifacts, deployments, quota state.
enum InferenceMigrations {
    static let all = [
        Migration(version: 100, name: "model versions, deployments, quotas", sql: """
            CREATE TABLE {schema}.model_versions (
                model_name text NOT NULL,
                version integer NOT NULL,
                tenant_id text NOT NULL,
                artifact_digest text NOT NULL,
                artifact bytea NOT NULL,
                registered_at timestamptz NOT NULL DEFAULT now(),
                retired_at timestamptz,
                PRIMARY KEY (model_name, version)
            );
            CREATE TABLE {schema}.deployments (
                model_name text NOT NULL,
                alias text NOT NULL,
                version integer NOT NULL,
                traffic_policy bytea NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (model_name, alias)
            );
            CREATE TABLE {schema}.quotas (
                tenant_id text NOT NULL,
                meter text NOT NULL,
                exceeded boolean NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, meter)
            )
            """),
    ]
}
