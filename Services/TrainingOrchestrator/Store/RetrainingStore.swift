import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Retraining policies: per model, the job that runs again when its inputs drift.
struct RetrainingStore: Sendable {
    let schema: SchemaName

    private var policies: String { schema.qualified("retraining_policies") }

    /// Keeps `request` as the model's policy (`retrain_on_drift` true), or removes it (false).
    func update(from request: TrainingRequested, on connection: PostgresConnection, logger: Logger) async throws {
        guard let retrain = request.retrainOnDrift else { return }
        guard retrain else {
            try await connection.query("""
                DELETE FROM \(unescaped: policies) WHERE tenant_id = \(request.tenantId) AND model_name = \(request.modelName)
                """, logger: logger)
            return
        }
        let json = String(decoding: try EventCodec.encode(request), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: policies) (tenant_id, model_name, request) VALUES (\(request.tenantId), \(request.modelName), \(json))
            ON CONFLICT (tenant_id, model_name) DO UPDATE SET request = excluded.request
            """, logger: logger)
    }

    /// The policy's job when the model has one and it did not run within `interval`; marks it
    /// triggered now with `jobId` (in the caller's transaction, so the new job and the mark commit together).
    func trigger(tenant: String, model: String, interval: Duration, jobId: String, on connection: PostgresConnection,
                 logger: Logger) async throws -> TrainingRequested? {
        let rows = try await connection.query("""
            UPDATE \(unescaped: policies) SET last_job_id = \(jobId), last_triggered_at = now()
            WHERE tenant_id = \(tenant) AND model_name = \(model)
              AND (last_triggered_at IS NULL OR last_triggered_at < now() - \(Int(interval / .seconds(1))) * interval '1 second')
            RETURNING request
            """, logger: logger)
        for try await request in rows.decode(String.self) {
            return try EventCodec.decode(TrainingRequested.self, from: Array(request.utf8))
        }
        return nil
    }
}
