import IntelliCorePostgres
import Logging
import PostgresNIO

/// A training job as the gateway follows it, from its own command and `intellicore.training.events`.
enum JobStatus: String, Sendable, CaseIterable {
    case requested, queued, running
    case cancelRequested = "cancel_requested"
    case completed, failed, cancelled

    /// No command changes a finished job.
    var isFinished: Bool { [.completed, .failed, .cancelled].contains(self) }
}

/// The training jobs of the ingestion schema: who owns each (so that a tenant can cancel only its
/// own) and how far it got.
struct JobStore: Sendable {
    let schema: SchemaName

    func create(jobId: String, tenant: String, model: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("training_jobs")) (job_id, tenant_id, model_name, status)
            VALUES (\(jobId), \(tenant), \(model), \(JobStatus.requested.rawValue))
            """, logger: logger)
    }

    /// The tenant's job, locked for the command's transaction; nil when the tenant has no such job.
    func lock(jobId: String, tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> (model: String, status: JobStatus)? {
        let rows = try await connection.query("""
            SELECT model_name, status FROM \(unescaped: schema.qualified("training_jobs"))
            WHERE job_id = \(jobId) AND tenant_id = \(tenant) FOR UPDATE
            """, logger: logger)
        for try await (model, status) in rows.decode((String, String).self) {
            return (model, JobStatus(rawValue: status) ?? .requested)
        }
        return nil
    }

    /// Moves a job to `status` unless it is finished; a job submitted straight to Kafka is
    /// created here from its first event.
    func advance(jobId: String, tenant: String, model: String, to status: JobStatus, on connection: PostgresConnection, logger: Logger) async throws {
        let finished = JobStatus.allCases.filter(\.isFinished).map(\.rawValue)
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("training_jobs")) (job_id, tenant_id, model_name, status)
            VALUES (\(jobId), \(tenant), \(model), \(status.rawValue))
            ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
            WHERE \(unescaped: schema.qualified("training_jobs")).tenant_id = EXCLUDED.tenant_id
              AND NOT (\(unescaped: schema.qualified("training_jobs")).status = ANY(\(finished)))
            """, logger: logger)
    }
}
