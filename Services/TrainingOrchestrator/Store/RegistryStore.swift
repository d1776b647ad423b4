import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A version as the registry holds it.
struct RegisteredVersion: Sendable {
    let version: Int
    let status: String
    let metrics: [String: Double]
}

/// Where an alias points.
struct AliasPointer: Sendable {
    let version: Int
    let previousVersion: Int?
}

/// The model registry: versions numbered per (tenant, model), aliases and their history.
struct RegistryStore: Sendable {
    let schema: SchemaName

    private var versions: String { schema.qualified("model_versions") }
    private var aliases: String { schema.qualified("aliases") }
    private var history: String { schema.qualified("alias_history") }

    /// Registers the next version of the model for a job; the job's unique key makes a second
    /// registration for it impossible. Serialised per model so numbers never collide.
    func register(_ registered: ModelVersionRegistered, jobId: String, dataset: String, datasetVersion: Int, inputSchema: String,
                  on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("\(schema.rawValue).model.\(registered.tenantId).\(registered.modelName)")))",
                                   logger: logger)
        let next = try await connection.query("""
            SELECT coalesce(max(version), 0) + 1 FROM \(unescaped: versions)
            WHERE tenant_id = \(registered.tenantId) AND model_name = \(registered.modelName)
            """, logger: logger)
        var version = 1
        for try await number in next.decode(Int.self) { version = number }
        try await connection.query("""
            INSERT INTO \(unescaped: versions) (tenant_id, model_name, version, job_id, run_id, algorithm, status, dataset_id, dataset_version,
                                                metrics, parameters, input_schema, artifact, digest, baseline)
            VALUES (\(registered.tenantId), \(registered.modelName), \(version), \(jobId), \(registered.runId), \(registered.algorithm), 'registered',
                    \(dataset), \(datasetVersion), \(Self.json(registered.metrics)), \(Self.json(registered.parameters)), \(inputSchema),
                    \(Self.json(registered.artifact)), \(registered.artifact.digest), \(Self.json(registered.featureBaseline ?? [])))
            """, logger: logger)
        return version
    }

    func version(tenant: String, model: String, version: Int, on connection: PostgresConnection, logger: Logger) async throws -> RegisteredVersion? {
        let rows = try await connection.query("""
            SELECT version, status, metrics FROM \(unescaped: versions) WHERE tenant_id = \(tenant) AND model_name = \(model) AND version = \(version)
            """, logger: logger)
        for try await (number, status, metrics) in rows.decode((Int, String, String).self) {
            return RegisteredVersion(version: number, status: status, metrics: try EventCodec.decode([String: Double].self, from: Array(metrics.utf8)))
        }
        return nil
    }

    /// The alias's row, locked for the transaction.
    func alias(tenant: String, model: String, alias: String, on connection: PostgresConnection, logger: Logger) async throws -> AliasPointer? {
        let rows = try await connection.query("""
            SELECT version, previous_version FROM \(unescaped: aliases)
            WHERE tenant_id = \(tenant) AND model_name = \(model) AND alias = \(alias) FOR UPDATE
            """, logger: logger)
        for try await (version, previous) in rows.decode((Int, Int?).self) { return AliasPointer(version: version, previousVersion: previous) }
        return nil
    }

    /// Points the alias at `version` and appends the move to its history. `previous` is what a
    /// later rollback returns to (nil after a rollback: a rollback is not undone by another).
    func move(tenant: String, model: String, alias: String, from: Int?, to version: Int, previous: Int?, policy: TrafficPolicy,
              action: String, actor: String, reason: String?, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: aliases) (tenant_id, model_name, alias, version, previous_version, traffic_policy)
            VALUES (\(tenant), \(model), \(alias), \(version), \(previous), \(Self.json(policy)))
            ON CONFLICT (tenant_id, model_name, alias) DO UPDATE
            SET version = excluded.version, previous_version = excluded.previous_version, traffic_policy = excluded.traffic_policy, updated_at = now()
            """, logger: logger)
        try await connection.query("""
            INSERT INTO \(unescaped: history) (tenant_id, model_name, alias, from_version, to_version, action, actor, reason)
            VALUES (\(tenant), \(model), \(alias), \(from), \(version), \(action), \(actor), \(reason))
            """, logger: logger)
    }

    static func json<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try EventCodec.encode(value), as: UTF8.self)
    }
}
