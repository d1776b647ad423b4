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
        // A model is (tenant, name): two tenants may both have `churn`. Existing deployments take
        // the tenant of their model's versions.
        Migration(version: 101, name: "models belong to tenants", sql: """
            ALTER TABLE {schema}.model_versions DROP CONSTRAINT model_versions_pkey;
            ALTER TABLE {schema}.model_versions ADD PRIMARY KEY (tenant_id, model_name, version);
            ALTER TABLE {schema}.deployments ADD COLUMN tenant_id text;
            UPDATE {schema}.deployments d SET tenant_id = coalesce(
                (SELECT v.tenant_id FROM {schema}.model_versions v WHERE v.model_name = d.model_name LIMIT 1), '');
            ALTER TABLE {schema}.deployments ALTER COLUMN tenant_id SET NOT NULL;
            ALTER TABLE {schema}.deployments DROP CONSTRAINT deployments_pkey;
            ALTER TABLE {schema}.deployments ADD PRIMARY KEY (tenant_id, model_name, alias)
            """),
    ]
}
