import Foundation
import IntelliCoreEvents
import IntelliCoreModels
import IntelliCorePostgres
import Logging
import PostgresNIO

/// The ingestion schema's copy of `intellicore.models`: versions with their signatures, and
/// deployments with the version each alias pointed to before.
struct CatalogStore: Sendable {
    let schema: SchemaName

    func saveVersion(_ key: ModelKey, version: Int, signature: ModelSignature, on connection: PostgresConnection, logger: Logger) async throws {
        let json = String(decoding: try EventCodec.encode(signature), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("model_versions")) (tenant_id, model_name, version, signature)
            VALUES (\(key.tenant), \(key.model), \(version), \(json))
            ON CONFLICT (tenant_id, model_name, version) DO UPDATE SET signature = EXCLUDED.signature
            """, logger: logger)
    }

    func retire(_ key: ModelKey, version: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE \(unescaped: schema.qualified("model_versions")) SET retired_at = coalesce(retired_at, now())
            WHERE tenant_id = \(key.tenant) AND model_name = \(key.model) AND version = \(version)
            """, logger: logger)
    }

    func saveDeployment(_ key: ModelKey, alias: String, deployment: CatalogDeployment, on connection: PostgresConnection, logger: Logger) async throws {
        let policy = String(decoding: try EventCodec.encode(deployment.policy), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("deployments")) (tenant_id, model_name, alias, version, traffic_policy, previous_version)
            VALUES (\(key.tenant), \(key.model), \(alias), \(deployment.version), \(policy), \(deployment.previousVersion))
            ON CONFLICT (tenant_id, model_name, alias) DO UPDATE SET version = EXCLUDED.version, traffic_policy = EXCLUDED.traffic_policy,
                previous_version = EXCLUDED.previous_version, updated_at = now()
            """, logger: logger)
    }

    func load(client: PostgresClient, logger: Logger) async throws -> [ModelKey: CatalogModel] {
        var models: [ModelKey: CatalogModel] = [:]
        let versions = try await client.query("""
            SELECT tenant_id, model_name, version, signature, retired_at IS NOT NULL FROM \(unescaped: schema.qualified("model_versions"))
            """, logger: logger)
        for try await (tenant, model, version, signature, retired) in versions.decode((String, String, Int, String, Bool).self) {
            let decoded = try EventCodec.decode(ModelSignature.self, from: Array(signature.utf8))
            models[ModelKey(tenant: tenant, model: model), default: CatalogModel()].versions[version] = CatalogVersion(signature: decoded, retired: retired)
        }
        let deployments = try await client.query("""
            SELECT tenant_id, model_name, alias, version, traffic_policy, previous_version FROM \(unescaped: schema.qualified("deployments"))
            """, logger: logger)
        for try await (tenant, model, alias, version, policy, previous) in deployments.decode((String, String, String, Int, String, Int?).self) {
            let decoded = try EventCodec.decode(TrafficPolicy.self, from: Array(policy.utf8))
            models[ModelKey(tenant: tenant, model: model), default: CatalogModel()].deployments[alias] =
                CatalogDeployment(version: version, policy: decoded, previousVersion: previous)
        }
        return models
    }
}
