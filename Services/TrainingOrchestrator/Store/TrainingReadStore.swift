import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A job as the read API shows it.
struct JobView: Codable, Sendable {
    let jobId: String
    let modelName: String
    let status: String
    let priority: Int
    let runId: String?
    let attempt: Int
    let epoch: Int
    let epochs: Int?
    let metrics: [String: Double]?
    let version: Int?
    let reason: String?
    let createdAt: Date
    let startedAt: Date?
    let finishedAt: Date?
    let sequence: Int
}

struct RunView: Codable, Sendable {
    let runId: String
    let jobId: String
    let modelName: String
    let algorithm: String
    let datasetId: String
    let datasetVersion: Int
    let parameters: [String: JSONValue]
    let tags: [String: String]
    let status: String
    let startedAt: Date
    let finishedAt: Date?
    let durationSeconds: Double?
}

struct MetricPoint: Codable, Sendable {
    let name: String
    let step: Int
    let value: Double
    let recordedAt: Date
}

struct VersionView: Codable, Sendable {
    let modelName: String
    let version: Int
    let status: String
    let algorithm: String
    let runId: String?
    let jobId: String?
    let datasetId: String
    let datasetVersion: Int
    let metrics: [String: Double]
    let parameters: [String: JSONValue]
    let inputSchema: JSONValue
    let digest: String
    let featureBaseline: [FeatureBaseline]
    let createdAt: Date
}

struct ModelView: Codable, Sendable {
    let modelName: String
    let latestVersion: Int
    let aliases: [String: Int]
}

struct AliasMove: Codable, Sendable {
    let alias: String
    let fromVersion: Int?
    let toVersion: Int
    let action: String
    let actor: String
    let reason: String?
    let movedAt: Date
    let sequence: Int
}

/// The queries of the read API, every one scoped to the caller's tenant.
struct TrainingReadStore: Sendable {
    let schema: SchemaName
    let client: PostgresClient

    private static let jobColumns = """
        job_id, model_name, status, priority, run_id, attempt, epoch, epochs, metrics, version, reason, created_at, started_at, finished_at, seq
        """

    private func decodeJobs(_ rows: PostgresRowSequence) async throws -> [JobView] {
        var jobs: [JobView] = []
        for try await row in rows {
            let (id, model, status, priority, run, attempt, epoch, epochs, metrics, version, reason, created, started, finished, seq) =
                try row.decode((String, String, String, Int, String?, Int, Int, Int?, String?, Int?, String?, Date, Date?, Date?, Int).self)
            jobs.append(JobView(jobId: id, modelName: model, status: status, priority: priority, runId: run, attempt: attempt, epoch: epoch,
                                epochs: epochs, metrics: try metrics.map { try EventCodec.decode([String: Double].self, from: Array($0.utf8)) },
                                version: version, reason: reason, createdAt: created, startedAt: started, finishedAt: finished, sequence: seq))
        }
        return jobs
    }

    func jobs(tenant: String, model: String?, after: Int?, limit: Int, logger: Logger) async throws -> [JobView] {
        try await decodeJobs(client.query("""
            SELECT \(unescaped: Self.jobColumns) FROM \(unescaped: schema.qualified("jobs"))
            WHERE tenant_id = \(tenant) AND (\(model)::text IS NULL OR model_name = \(model)) AND seq < \(after ?? Int.max)
            ORDER BY seq DESC LIMIT \(limit)
            """, logger: logger))
    }

    func job(tenant: String, id: String, logger: Logger) async throws -> JobView? {
        try await decodeJobs(client.query("""
            SELECT \(unescaped: Self.jobColumns) FROM \(unescaped: schema.qualified("jobs")) WHERE tenant_id = \(tenant) AND job_id = \(id)
            """, logger: logger)).first
    }

    func run(tenant: String, id: String, logger: Logger) async throws -> RunView? {
        let rows = try await client.query("""
            SELECT run_id, job_id, model_name, algorithm, dataset_id, dataset_version, parameters, tags, status, started_at, finished_at
            FROM \(unescaped: schema.qualified("runs")) WHERE tenant_id = \(tenant) AND run_id = \(id)
            """, logger: logger)
        for try await row in rows {
            let (run, job, model, algorithm, dataset, version, parameters, tags, status, started, finished) =
                try row.decode((String, String, String, String, String, Int, String, String, String, Date, Date?).self)
            return RunView(runId: run, jobId: job, modelName: model, algorithm: algorithm, datasetId: dataset, datasetVersion: version,
                           parameters: try EventCodec.decode([String: JSONValue].self, from: Array(parameters.utf8)),
                           tags: try EventCodec.decode([String: String].self, from: Array(tags.utf8)), status: status,
                           startedAt: started, finishedAt: finished, durationSeconds: finished.map { $0.timeIntervalSince(started) })
        }
        return nil
    }

    /// The run's metric history for the first `steps` steps after `afterStep`, every metric of
    /// each step (or the one named), in step order.
    func metrics(run: String, name: String?, afterStep: Int?, steps: Int, logger: Logger) async throws -> [MetricPoint] {
        let table = schema.qualified("run_metrics")
        let rows = try await client.query("""
            SELECT name, step, value, recorded_at FROM \(unescaped: table)
            WHERE run_id = \(run) AND (\(name)::text IS NULL OR name = \(name))
              AND step IN (SELECT DISTINCT step FROM \(unescaped: table)
                           WHERE run_id = \(run) AND (\(name)::text IS NULL OR name = \(name)) AND step > \(afterStep ?? 0)
                           ORDER BY step LIMIT \(steps))
            ORDER BY step, name
            """, logger: logger)
        var points: [MetricPoint] = []
        for try await (name, step, value, recorded) in rows.decode((String, Int, Double, Date).self) {
            points.append(MetricPoint(name: name, step: step, value: value, recordedAt: recorded))
        }
        return points
    }

    func models(tenant: String, after: String?, limit: Int, logger: Logger) async throws -> [ModelView] {
        let rows = try await client.query("""
            SELECT v.model_name, max(v.version),
                   coalesce((SELECT json_object_agg(a.alias, a.version)::text FROM \(unescaped: schema.qualified("aliases")) a
                             WHERE a.tenant_id = v.tenant_id AND a.model_name = v.model_name), '{}')
            FROM \(unescaped: schema.qualified("model_versions")) v
            WHERE v.tenant_id = \(tenant) AND v.model_name > \(after ?? "")
            GROUP BY v.tenant_id, v.model_name ORDER BY v.model_name LIMIT \(limit)
            """, logger: logger)
        var models: [ModelView] = []
        for try await (name, latest, aliases) in rows.decode((String, Int, String).self) {
            models.append(ModelView(modelName: name, latestVersion: latest,
                                    aliases: try JSONDecoder().decode([String: Int].self, from: Data(aliases.utf8))))
        }
        return models
    }

    func versions(tenant: String, model: String, version: Int? = nil, after: Int?, limit: Int, logger: Logger) async throws -> [VersionView] {
        let rows = try await client.query("""
            SELECT model_name, version, status, algorithm, run_id, job_id, dataset_id, dataset_version, metrics, parameters, input_schema,
                   digest, baseline, created_at
            FROM \(unescaped: schema.qualified("model_versions"))
            WHERE tenant_id = \(tenant) AND model_name = \(model) AND (\(version)::bigint IS NULL OR version = \(version))
              AND version < \(after ?? Int(Int32.max))
            ORDER BY version DESC LIMIT \(limit)
            """, logger: logger)
        var versions: [VersionView] = []
        for try await row in rows {
            let (name, number, status, algorithm, run, job, dataset, datasetVersion, metrics, parameters, input, digest, baseline, created) =
                try row.decode((String, Int, String, String, String?, String?, String, Int, String, String, String, String, String, Date).self)
            versions.append(VersionView(
                modelName: name, version: number, status: status, algorithm: algorithm, runId: run, jobId: job, datasetId: dataset,
                datasetVersion: datasetVersion, metrics: try EventCodec.decode([String: Double].self, from: Array(metrics.utf8)),
                parameters: try EventCodec.decode([String: JSONValue].self, from: Array(parameters.utf8)),
                inputSchema: try EventCodec.decode(JSONValue.self, from: Array(input.utf8)), digest: digest,
                featureBaseline: try EventCodec.decode([FeatureBaseline].self, from: Array(baseline.utf8)), createdAt: created))
        }
        return versions
    }

    /// Every move of the model's aliases (one alias when named), newest first.
    func history(tenant: String, model: String, alias: String?, after: Int?, limit: Int, logger: Logger) async throws -> [AliasMove] {
        let rows = try await client.query("""
            SELECT alias, from_version, to_version, action, actor, reason, moved_at, id
            FROM \(unescaped: schema.qualified("alias_history"))
            WHERE tenant_id = \(tenant) AND model_name = \(model) AND (\(alias)::text IS NULL OR alias = \(alias)) AND id < \(after ?? Int.max)
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var moves: [AliasMove] = []
        for try await (alias, from, to, action, actor, reason, moved, id) in rows.decode((String, Int?, Int, String, String, String?, Date, Int).self) {
            moves.append(AliasMove(alias: alias, fromVersion: from, toVersion: to, action: action, actor: actor, reason: reason, movedAt: moved, sequence: id))
        }
        return moves
    }
}
