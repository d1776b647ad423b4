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

    func saveVersion(model: String, version: Int, tenant: String, digest: String, artifactJSON: [UInt8], on connection: PostgresConnection) async throws {
        var query = PostgresQuery(unsafeSQL: """
            INSERT INTO \(schema.qualified("model_versions")) (model_name, version, tenant_id, artifact_digest, artifact)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model_name, version) DO NOTHING
            """)
        query.binds.append(model); query.binds.append(version); query.binds.append(tenant)
        query.binds.append(digest); query.binds.append(ByteBuffer(bytes: artifactJSON))
        try await connection.query(query, logger: logger)
    }

    func retire(model: String, version: Int, on connection: PostgresConnection) async throws {
        var query = PostgresQuery(unsafeSQL: "UPDATE \(schema.qualified("model_versions")) SET retired_at = now() WHERE model_name = $1 AND version = $2")
        query.binds.append(model); query.binds.append(version)
        try await connection.query(query, logger: logger)
    }

    func saveDeployment(model: String, alias: String, version: Int, policy: TrafficPolicy, on connection: PostgresConnection) async throws {
        var query = PostgresQuery(unsafeSQL: """
            INSERT INTO \(schema.qualified("deployments")) (model_name, alias, version, traffic_policy) VALUES ($1, $2, $3, $4)
            ON CONFLICT (model_name, alias) DO UPDATE SET version = EXCLUDED.version, traffic_policy = EXCLUDED.traffic_policy, updated_at = now()
            """)
        query.binds.append(model); query.binds.append(alias); query.binds.append(version)
        query.binds.append(ByteBuffer(bytes: try EventCodec.encode(policy)))
        try await connection.query(query, logger: logger)
    }

    func saveQuota(tenant: String, meter: String, exceeded: Bool, on connection: PostgresConnection) async throws {
        var query = PostgresQuery(unsafeSQL: """
            INSERT INTO \(schema.qualified("quotas")) (tenant_id, meter, exceeded) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, meter) DO UPDATE SET exceeded = EXCLUDED.exceeded, updated_at = now()
            """)
        query.binds.append(tenant); query.binds.append(meter); query.binds.append(exceeded)
        try await connection.query(query, logger: logger)
    }

    /// The artifact JSON of a version, or nil when unknown.
    func artifact(model: String, version: Int) async throws -> [UInt8]? {
        var query = PostgresQuery(unsafeSQL: "SELECT artifact FROM \(schema.qualified("model_versions")) WHERE model_name = $1 AND version = $2")
        query.binds.append(model); query.binds.append(version)
        for try await bytes in try await client.query(query, logger: logger).decode(ByteBuffer.self) { return Array(buffer: bytes) }
        return nil
    }

    /// Everything the router needs, read at start.
    func loadState() async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        let versions = try await client.query(PostgresQuery(unsafeSQL: "SELECT model_name, version, tenant_id, retired_at IS NOT NULL FROM \(schema.qualified("model_versions"))"), logger: logger)
        for try await (model, version, tenant, retired) in versions.decode((String, Int, String, Bool).self) {
            snapshot.versions[model, default: [:]][version] = VersionInfo(tenant: tenant, retired: retired)
        }
        let deployments = try await client.query(PostgresQuery(unsafeSQL: "SELECT model_name, alias, traffic_policy FROM \(schema.qualified("deployments"))"), logger: logger)
        for try await (model, alias, policy) in deployments.decode((String, String, ByteBuffer).self) {
            snapshot.deployments[model, default: [:]][alias] = try EventCodec.decode(TrafficPolicy.self, from: Array(buffer: policy))
        }
        let quotas = try await client.query(PostgresQuery(unsafeSQL: "SELECT tenant_id FROM \(schema.qualified("quotas")) WHERE exceeded AND meter = 'predictions'"), logger: logger)
        for try await tenant in quotas.decode(String.self) { snapshot.exceededTenants.insert(tenant) }
        return snapshot
    }
}
