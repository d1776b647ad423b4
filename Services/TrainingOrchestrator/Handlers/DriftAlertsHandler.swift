import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// `intellicore.monitoring.alerts`: a `DataDriftDetected` for a model with a retraining policy
/// queues the policy's job again on the dataset's latest sealed version — once per interval,
/// however many features drifted — when the drift is dataset-level (monitoring's share of
/// drifted features reached; an event without `dataset_drift` counts as such). Models without a
/// policy are left alone.
struct DriftAlertsHandler: Sendable {
    let retraining: RetrainingStore
    let submission: JobSubmission
    let interval: Duration

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(DataDriftDetected.self) { event, drift, transaction in
            let tenant = try event.owningTenant()
            guard drift.datasetDrift ?? true else { return }
            let jobId = "job-\(UUID().uuidString.lowercased())"
            guard var request = try await retraining.trigger(tenant: tenant, model: drift.modelName, interval: interval, jobId: jobId,
                                                             on: transaction.connection, logger: transaction.logger) else { return }
            request.jobId = jobId
            request.datasetVersion = nil
            request.deadline = nil
            guard try await submission.submit(request, in: transaction) else { return }
            transaction.logger.info("retraining on drift", metadata: [
                "model.name": "\(drift.modelName)", "feature": "\(drift.feature)", "statistic": "\(drift.statistic)", "job.id": "\(jobId)"])
        }
        return handlers
    }
}
