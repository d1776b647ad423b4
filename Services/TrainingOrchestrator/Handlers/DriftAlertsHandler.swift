import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// `intellicore.monitoring.alerts`: a `DataDriftDetected` for a model with a retraining policy
/// queues the policy's job again on the dataset's latest sealed version — once per interval,
/// however many features drifted. Models without a policy are left alone.
struct DriftAlertsHandler: Sendable {
    let retraining: RetrainingStore
    let jobs: JobStore
    let queue: WorkQueue
    let interval: Duration
    let maxAttempts: Int

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(DataDriftDetected.self) { event, drift, transaction in
            let tenant = try event.owningTenant()
            let jobId = "job-\(UUID().uuidString.lowercased())"
            guard var request = try await retraining.trigger(tenant: tenant, model: drift.modelName, interval: interval, jobId: jobId,
                                                             on: transaction.connection, logger: transaction.logger) else { return }
            request.jobId = jobId
            request.datasetVersion = nil
            request.deadline = nil
            guard try await jobs.create(request, on: transaction.connection, logger: transaction.logger) else { return }
            try await queue.enqueue(id: jobId, tenantId: tenant, priority: request.priority, payload: [], maxAttempts: maxAttempts,
                                    on: transaction.connection, logger: transaction.logger)
            try await transaction.publish(ModelTrainingQueued(jobId: jobId, tenantId: tenant, modelName: request.modelName, priority: request.priority),
                                          key: jobId, subject: jobId, tenantId: tenant)
            transaction.logger.info("retraining on drift", metadata: [
                "model.name": "\(drift.modelName)", "feature": "\(drift.feature)", "statistic": "\(drift.statistic)", "job.id": "\(jobId)"])
        }
        return handlers
    }
}
