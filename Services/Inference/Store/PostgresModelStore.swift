import IntelliCoreEvents
import IntelliCoreModels
import IntelliCorePostgres
import Logging
import PostgresNIO

/// The inference service's own tables; a restart rebuilds its state from them, not from topics.
struct PostgresModelStore: Sendable {
    let client: PostgresClient
    let schema: SchemaName
    let logger: Logger

    private var versions: String { schema.qualified("model_versions") }
    private var deployments: String { schema.qualified("deployments") }
    private var quotas: String { schema.qualified("quotas") }

    func saveVersion(_ key: ModelVersionKey, digest: String, artifactJSON: [UInt8], on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: versions) (tenant_id, model_name, version, artifact_digest, artifact)
            VALUES (\(key.tenant), \(key.model), \(key.version), \(digest), \(ByteBuffer(bytes: artifactJSON)))
            ON CONFLICT (tenant_id, model_name, version) DO NOTHING
            """, logger: logger)
    }

    func retire(_ key: ModelVersionKey, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE \(unescaped: versions) SET retired_at = now()
            WHERE tenant_id = \(key.tenant) AND model_name = \(key.model) AND version = \(key.version)
            """, logger: logger)
    }

    func saveDeployment(_ model: ModelKey, alias: String, version: Int, policy: TrafficPolicy, on connection: PostgresConnection) async throws {
        let encoded = ByteBuffer(bytes: try EventCodec.encode(policy))
        try await connection.query("""
            INSERT INTO \(unescaped: deployments) (tenant_id, model_name, alias, version, traffic_policy)
            VALUES (\(model.tenant), \(model.model), \(alias), \(version), \(encoded))
            ON CONFLICT (tenant_id, model_name, alias)
            DO UPDATE SET version = EXCLUDED.version, traffic_policy = EXCLUDED.traffic_policy, updated_at = now()
            """, logger: logger)
    }

    func saveQuota(tenant: String, meter: String, exceeded: Bool, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: quotas) (tenant_id, meter, exceeded) VALUES (\(tenant), \(meter), \(exceeded))
            ON CONFLICT (tenant_id, meter) DO UPDATE SET exceeded = EXCLUDED.exceeded, updated_at = now()
            """, logger: logger)
    }

    /// The artifact JSON of a version, or nil when unknown.
    func artifact(_ key: ModelVersionKey) async throws -> [UInt8]? {
        let rows = try await client.query("""
            SELECT artifact FROM \(unescaped: versions)
            WHERE tenant_id = \(key.tenant) AND model_name = \(key.model) AND version = \(key.version)
            """, logger: logger)
        for try await bytes in rows.decode(ByteBuffer.self) { return Array(buffer: bytes) }
        return nil
    }

    /// Everything the router needs, read at start.
    func loadState() async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        let versionRows = try await client.query("""
            SELECT tenant_id, model_name, version, retired_at IS NOT NULL FROM \(unescaped: versions)
            """, logger: logger)
        for try await (tenant, model, version, retired) in versionRows.decode((String, String, Int, Bool).self) {
            snapshot.versions[ModelKey(tenant: tenant, model: model), default: [:]][version] = VersionInfo(retired: retired)
        }
        let deploymentRows = try await client.query("""
            SELECT tenant_id, model_name, alias, traffic_policy FROM \(unescaped: deployments)
            """, logger: logger)
        for try await (tenant, model, alias, policy) in deploymentRows.decode((String, String, String, ByteBuffer).self) {
            snapshot.deployments[ModelKey(tenant: tenant, model: model), default: [:]][alias] =
                try EventCodec.decode(TrafficPolicy.self, from: Array(buffer: policy))
        }
        let quotaRows = try await client.query("""
            SELECT tenant_id FROM \(unescaped: quotas) WHERE exceeded AND meter = \(UsageMeter.predictions.rawValue)
            """, logger: logger)
        for try await tenant in quotaRows.decode(String.self) { snapshot.exceededTenants.insert(tenant) }
        return snapshot
    }
}
