import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Where a training job stands.
enum JobStatus: String, Sendable, Codable {
    case queued, running, completed, failed, cancelled

    var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// A job as the orchestrator keeps it.
struct JobRecord: Sendable {
    let jobId: String
    let tenantId: String
    let modelName: String
    let request: TrainingRequested
    let status: JobStatus
    let runId: String?
}

/// Jobs, their runs (parameters written once, metric history) and checkpoints.
struct JobStore: Sendable {
    let schema: SchemaName

    private var jobs: String { schema.qualified("jobs") }
    private var runs: String { schema.qualified("runs") }
    private var metrics: String { schema.qualified("run_metrics") }
    private var checkpoints: String { schema.qualified("checkpoints") }

    /// Records a requested job; false when a job with its id exists (a redelivered request).
    func create(_ request: TrainingRequested, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let json = String(decoding: try EventCodec.encode(request), as: UTF8.self)
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: jobs) (job_id, tenant_id, model_name, request, status, priority)
            VALUES (\(request.jobId), \(request.tenantId), \(request.modelName), \(json), \(JobStatus.queued.rawValue), \(request.priority))
            ON CONFLICT (job_id) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    func job(_ jobId: String, on connection: PostgresConnection, forUpdate: Bool = false, logger: Logger) async throws -> JobRecord? {
        let rows = try await connection.query("""
            SELECT job_id, tenant_id, model_name, request, status, run_id FROM \(unescaped: jobs) WHERE job_id = \(jobId)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await (id, tenant, model, request, status, run) in rows.decode((String, String, String, String, String, String?).self) {
            return JobRecord(jobId: id, tenantId: tenant, modelName: model,
                             request: try EventCodec.decode(TrainingRequested.self, from: Array(request.utf8)),
                             status: JobStatus(rawValue: status) ?? .failed, runId: run)
        }
        return nil
    }

    /// Marks the job running for an attempt, creating its run on the first one (the run's
    /// parameters are written then and never changed). Returns the run id; nil when the job is
    /// no longer queued or running (cancelled meanwhile).
    func start(_ job: JobRecord, attempt: Int, algorithm: String, dataset: String, datasetVersion: Int, parameters: [String: JSONValue],
               on connection: PostgresConnection, logger: Logger) async throws -> String? {
        let runId = job.runId ?? UUID().uuidString.lowercased()
        let updated = try await connection.query("""
            UPDATE \(unescaped: jobs) SET status = \(JobStatus.running.rawValue), run_id = \(runId), attempt = \(attempt),
                started_at = coalesce(started_at, now()), updated_at = now()
            WHERE job_id = \(job.jobId) AND status IN ('queued', 'running') RETURNING 1
            """, logger: logger)
        var running = false
        for try await _ in updated { running = true }
        guard running else { return nil }
        let json = String(decoding: try EventCodec.encode(parameters), as: UTF8.self)
        let tags = String(decoding: try EventCodec.encode(["job_id": job.jobId, "model_name": job.modelName]), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: runs) (run_id, job_id, tenant_id, model_name, algorithm, dataset_id, dataset_version, parameters, tags, status)
            VALUES (\(runId), \(job.jobId), \(job.tenantId), \(job.modelName), \(algorithm), \(dataset), \(datasetVersion), \(json), \(tags),
                    \(JobStatus.running.rawValue))
            ON CONFLICT (job_id) DO NOTHING
            """, logger: logger)
        return runId
    }

    /// An epoch's metrics into the run's history (an epoch redone after a resume writes the same
    /// values again) and the job's progress; false (and nothing written) when the job is no
    /// longer running.
    func recordEpoch(jobId: String, runId: String, epoch: Int, epochs: Int, metrics values: [String: Double],
                     on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let json = String(decoding: try EventCodec.encode(values.filter { $0.value.isFinite }), as: UTF8.self)
        let updated = try await connection.query("""
            UPDATE \(unescaped: jobs) SET epoch = \(epoch), epochs = \(epochs), metrics = \(json), updated_at = now()
            WHERE job_id = \(jobId) AND status = \(JobStatus.running.rawValue) RETURNING 1
            """, logger: logger)
        var running = false
        for try await _ in updated { running = true }
        guard running else { return false }
        let finite = values.filter { $0.value.isFinite }.sorted { $0.key < $1.key }
        if !finite.isEmpty {
            try await connection.query("""
                INSERT INTO \(unescaped: metrics) (run_id, name, step, value)
                SELECT \(runId), name, \(epoch), value FROM unnest(\(finite.map(\.key))::text[], \(finite.map(\.value))::float8[]) AS m(name, value)
                ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value, recorded_at = now()
                """, logger: logger)
        }
        return true
    }

    /// Seconds since the job's first attempt started (0 before it started).
    func secondsSinceStart(jobId: String, on connection: PostgresConnection, logger: Logger) async throws -> Double {
        let rows = try await connection.query("""
            SELECT coalesce(extract(epoch FROM clock_timestamp() - started_at), 0)::float8 FROM \(unescaped: jobs) WHERE job_id = \(jobId)
            """, logger: logger)
        for try await seconds in rows.decode(Double.self) { return seconds }
        return 0
    }

    func saveCheckpoint(jobId: String, epoch: Int, state: [UInt8], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: checkpoints) (job_id, epoch, state) VALUES (\(jobId), \(epoch), \(ByteBuffer(bytes: state)))
            ON CONFLICT (job_id) DO UPDATE SET epoch = excluded.epoch, state = excluded.state, saved_at = now()
            """, logger: logger)
    }

    func checkpoint(jobId: String, client: PostgresClient, logger: Logger) async throws -> (epoch: Int, state: [UInt8])? {
        let rows = try await client.query("SELECT epoch, state FROM \(unescaped: checkpoints) WHERE job_id = \(jobId)", logger: logger)
        for try await (epoch, state) in rows.decode((Int, ByteBuffer).self) { return (epoch, Array(buffer: state)) }
        return nil
    }

    /// Ends the job and its run; the checkpoint is no longer needed.
    func finish(jobId: String, status: JobStatus, version: Int? = nil, reason: String? = nil, on connection: PostgresConnection,
                logger: Logger) async throws {
        try await connection.query("""
            UPDATE \(unescaped: jobs) SET status = \(status.rawValue), version = \(version), reason = \(reason), finished_at = now(), updated_at = now()
            WHERE job_id = \(jobId)
            """, logger: logger)
        try await connection.query("""
            UPDATE \(unescaped: runs) SET status = \(status.rawValue), finished_at = now() WHERE job_id = \(jobId)
            """, logger: logger)
        try await connection.query("DELETE FROM \(unescaped: checkpoints) WHERE job_id = \(jobId)", logger: logger)
    }
}
