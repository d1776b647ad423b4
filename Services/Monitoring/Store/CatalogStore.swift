import Foundation
import IntelliCoreEvents
import IntelliCoreModels
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Model versions, aliases and objectives in the monitoring schema.
struct CatalogStore: Sendable {
    let schema: SchemaName

    private var versions: String { schema.qualified("model_versions") }
    private var aliases: String { schema.qualified("aliases") }
    private var objectives: String { schema.qualified("objectives") }

    func saveVersion(tenant: String, _ registered: ModelVersionRegistered, _ version: ModelCatalog.Version, on connection: PostgresConnection,
                     logger: Logger) async throws {
        let schemaJSON = String(decoding: try EventCodec.encode(version.schema), as: UTF8.self)
        let baseline = String(decoding: try EventCodec.encode(registered.featureBaseline ?? []), as: UTF8.self)
        let labels = try version.labels.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        let metrics = String(decoding: try EventCodec.encode(registered.metrics), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: versions) (tenant_id, model_name, version, algorithm, input_schema, baseline, output_width, labels, metrics)
            VALUES (\(tenant), \(registered.modelName), \(registered.version), \(registered.algorithm), \(schemaJSON), \(baseline),
                    \(version.outputWidth), \(labels), \(metrics))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    func saveAlias(tenant: String, model: String, alias: String, policy: TrafficPolicy, on connection: PostgresConnection, logger: Logger) async throws {
        let version = policy.routes.max { $0.weight < $1.weight }?.version ?? 0
        let text = String(decoding: try EventCodec.encode(policy), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: aliases) (tenant_id, model_name, alias, version, policy) VALUES (\(tenant), \(model), \(alias), \(version), \(text))
            ON CONFLICT (tenant_id, model_name, alias) DO UPDATE SET version = excluded.version, policy = excluded.policy, updated_at = now()
            """, logger: logger)
    }

    /// Fills `catalog` with everything stored (at start).
    func load(into catalog: ModelCatalog, client: PostgresClient, logger: Logger) async throws {
        let rows = try await client.query("""
            SELECT tenant_id, model_name, version, input_schema, baseline, output_width, labels FROM \(unescaped: versions)
            """, logger: logger)
        for try await (tenant, model, version, schemaText, baselineText, width, labels) in rows.decode((String, String, Int, String, String, Int, String?).self) {
            let inputSchema = try EventCodec.decode(InputSchema.self, from: Array(schemaText.utf8))
            let baseline = try EventCodec.decode([FeatureBaseline].self, from: Array(baselineText.utf8))
            catalog.register(tenant: tenant, model: model, version: version, ModelCatalog.Version(
                schema: inputSchema, baseline: VersionBaseline(schema: inputSchema, baseline: baseline), outputWidth: width,
                labels: try labels.map { try EventCodec.decode([String].self, from: Array($0.utf8)) }))
        }
        let policies = try await client.query("SELECT tenant_id, model_name, alias, policy FROM \(unescaped: aliases)", logger: logger)
        for try await (tenant, model, alias, policy) in policies.decode((String, String, String, String).self) {
            catalog.deploy(tenant: tenant, model: model, alias: alias, policy: try EventCodec.decode(TrafficPolicy.self, from: Array(policy.utf8)))
        }
    }

    struct ModelSummary: Codable, Sendable {
        struct Version: Codable, Sendable {
            let version: Int
            let algorithm: String
            let metrics: [String: Double]
            let registeredAt: Date
        }

        struct Alias: Codable, Sendable {
            let alias: String
            let trafficPolicy: TrafficPolicy
            let updatedAt: Date
        }

        let modelName: String
        var versions: [Version]
        var aliases: [Alias]
    }

    /// The tenant's models after `after` (by name), with their versions and aliases.
    func models(tenant: String, after: String?, limit: Int, client: PostgresClient, logger: Logger) async throws -> [ModelSummary] {
        let rows = try await client.query("""
            SELECT model_name, version, algorithm, metrics, registered_at FROM \(unescaped: versions)
            WHERE tenant_id = \(tenant) AND model_name IN (
                SELECT DISTINCT model_name FROM \(unescaped: versions) WHERE tenant_id = \(tenant) AND model_name > \(after ?? "")
                ORDER BY model_name LIMIT \(limit))
            ORDER BY model_name, version
            """, logger: logger)
        var models: [String: ModelSummary] = [:]
        for try await (model, version, algorithm, metrics, registered) in rows.decode((String, Int, String, String, Date).self) {
            models[model, default: ModelSummary(modelName: model, versions: [], aliases: [])].versions.append(ModelSummary.Version(
                version: version, algorithm: algorithm, metrics: try EventCodec.decode([String: Double].self, from: Array(metrics.utf8)),
                registeredAt: registered))
        }
        guard !models.isEmpty else { return [] }
        let policies = try await client.query("""
            SELECT model_name, alias, policy, updated_at FROM \(unescaped: aliases) WHERE tenant_id = \(tenant) AND model_name = ANY(\(Array(models.keys)))
            ORDER BY alias
            """, logger: logger)
        for try await (model, alias, policy, updated) in policies.decode((String, String, String, Date).self) {
            models[model]?.aliases.append(ModelSummary.Alias(alias: alias, trafficPolicy: try EventCodec.decode(TrafficPolicy.self, from: Array(policy.utf8)),
                                                             updatedAt: updated))
        }
        return models.values.sorted { $0.modelName < $1.modelName }
    }

    func objectives(tenant: String, model: String, client: PostgresClient, logger: Logger) async throws -> ModelObjectives? {
        let rows = try await client.query("""
            SELECT definition FROM \(unescaped: objectives) WHERE tenant_id = \(tenant) AND model_name = \(model)
            """, logger: logger)
        for try await text in rows.decode(String.self) { return try JSONDecoder().decode(ModelObjectives.self, from: Data(text.utf8)) }
        return nil
    }

    /// Every model's own objectives, by tenant and model.
    func allObjectives(client: PostgresClient, logger: Logger) async throws -> [String: [String: ModelObjectives]] {
        let rows = try await client.query("SELECT tenant_id, model_name, definition FROM \(unescaped: objectives)", logger: logger)
        var found: [String: [String: ModelObjectives]] = [:]
        for try await (tenant, model, text) in rows.decode((String, String, String).self) {
            found[tenant, default: [:]][model] = try JSONDecoder().decode(ModelObjectives.self, from: Data(text.utf8))
        }
        return found
    }

    func setObjectives(tenant: String, model: String, _ objectives: ModelObjectives, client: PostgresClient, logger: Logger) async throws {
        // Stored as the API writes them (the type spells out its snake_case keys).
        let text = String(decoding: try JSONEncoder().encode(objectives), as: UTF8.self)
        try await client.query("""
            INSERT INTO \(unescaped: self.objectives) (tenant_id, model_name, definition) VALUES (\(tenant), \(model), \(text))
            ON CONFLICT (tenant_id, model_name) DO UPDATE SET definition = excluded.definition, updated_at = now()
            """, logger: logger)
    }
}
