import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Training jobs as their events tell, for the dashboard and the API.
struct TrainingJobStore: Sendable {
    let schema: SchemaName

    private var jobs: String { schema.qualified("training_jobs") }

    struct Job: Codable, Sendable {
        let jobId: String
        let modelName: String
        let status: String
        let epoch: Int?
        let epochs: Int?
        let metrics: [String: Double]?
        let version: Int?
        let reason: String?
        let updatedAt: Date
    }

    /// Records a job's new state; `epoch` only moves forward (a redelivered progress event changes nothing).
    func update(jobId: String, tenant: String, model: String, status: String, epoch: Int? = nil, epochs: Int? = nil,
                metrics: [String: Double]? = nil, version: Int? = nil, reason: String? = nil, on connection: PostgresConnection,
                logger: Logger) async throws -> Job {
        let metricsText = try metrics.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: jobs) AS job (job_id, tenant_id, model_name, status, epoch, epochs, metrics, version, reason)
            VALUES (\(jobId), \(tenant), \(model), \(status), \(epoch), \(epochs), \(metricsText), \(version), \(reason))
            ON CONFLICT (job_id) DO UPDATE SET
                status = CASE WHEN job.status IN ('completed', 'failed', 'cancelled') THEN job.status ELSE excluded.status END,
                epoch = greatest(job.epoch, excluded.epoch), epochs = coalesce(excluded.epochs, job.epochs),
                metrics = CASE WHEN excluded.epoch IS NULL OR excluded.epoch >= coalesce(job.epoch, 0) THEN coalesce(excluded.metrics, job.metrics) ELSE job.metrics END,
                version = coalesce(excluded.version, job.version), reason = coalesce(excluded.reason, job.reason), updated_at = now()
            RETURNING status, epoch, epochs, metrics, version, reason, updated_at
            """, logger: logger)
        for try await (status, epoch, epochs, metrics, version, reason, updated) in rows.decode((String, Int?, Int?, String?, Int?, String?, Date).self) {
            return Job(jobId: jobId, modelName: model, status: status, epoch: epoch, epochs: epochs,
                       metrics: try metrics.map { try EventCodec.decode([String: Double].self, from: Array($0.utf8)) }, version: version,
                       reason: reason, updatedAt: updated)
        }
        throw PostgresError.protocol("INSERT … RETURNING gave no row")
    }

    /// Where a page of jobs ended: the last job's change time, its id breaking ties.
    struct Position: Codable, Sendable {
        let updatedAt: Date
        let jobId: String
    }

    func jobs(tenant: String, before: Position?, limit: Int, client: PostgresClient, logger: Logger) async throws -> [Job] {
        let rows = try await client.query("""
            SELECT job_id, model_name, status, epoch, epochs, metrics, version, reason, updated_at FROM \(unescaped: jobs)
            WHERE tenant_id = \(tenant) AND (updated_at, job_id) < (\(before?.updatedAt ?? Date.distantFuture), \(before?.jobId ?? ""))
            ORDER BY updated_at DESC, job_id DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Job] = []
        for try await (id, model, status, epoch, epochs, metrics, version, reason, updated)
            in rows.decode((String, String, String, Int?, Int?, String?, Int?, String?, Date).self) {
            found.append(Job(jobId: id, modelName: model, status: status, epoch: epoch, epochs: epochs,
                             metrics: try metrics.map { try EventCodec.decode([String: Double].self, from: Array($0.utf8)) }, version: version,
                             reason: reason, updatedAt: updated))
        }
        return found
    }
}
