import IntelliCoreEvents
import IntelliCoreServiceKit

/// `intellicore.training.commands`: a requested job goes into the queue (`ModelTrainingQueued`),
/// a cancel ends a queued or running one (`ModelTrainingCancelled`, once), deploy and rollback
/// move aliases. Every command belongs to the tenant in its `ce_tenantid`; a command about
/// another tenant's job or model, or one that cannot be carried out, is dead-lettered with why.
struct TrainingCommandsHandler: Sendable {
    let jobs: JobStore
    let queue: WorkQueue
    let submission: JobSubmission
    let deployer: Deployer

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(TrainingRequested.self) { event, requested, transaction in
            _ = try event.owningTenant(payload: requested.tenantId) // refuses a payload naming another tenant
            try await submission.submit(requested, in: transaction)
        }
        handlers.on(TrainingCancelRequested.self) { event, cancel, transaction in
            let tenant = try event.owningTenant()
            guard let job = try await jobs.job(cancel.jobId, on: transaction.connection, forUpdate: true, logger: transaction.logger),
                  job.tenantId == tenant else {
                throw EventRejection("tenant \(tenant) has no training job \(cancel.jobId) to cancel")
            }
            guard !job.status.isFinished else { return }
            // The running worker loses its lease: whatever it was about to commit is refused.
            try await queue.cancel(id: job.jobId, on: transaction.connection, logger: transaction.logger)
            try await jobs.finish(jobId: job.jobId, status: .cancelled, reason: cancel.reason, on: transaction.connection, logger: transaction.logger)
            try await transaction.publish(ModelTrainingCancelled(jobId: job.jobId, tenantId: tenant, modelName: job.modelName, reason: cancel.reason),
                                          key: job.jobId, subject: job.jobId, tenantId: tenant)
        }
        handlers.on(ModelDeployRequested.self) { event, deploy, transaction in
            try await deployer.deploy(tenant: try event.owningTenant(), model: deploy.modelName, version: deploy.version, alias: deploy.alias,
                                      policy: deploy.trafficPolicy, action: "deploy", actor: deploy.requestedBy ?? "unknown", reason: nil,
                                      in: transaction)
        }
        handlers.on(ModelRollbackRequested.self) { event, rollback, transaction in
            try await deployer.rollback(tenant: try event.owningTenant(), model: rollback.modelName, alias: rollback.alias,
                                        actor: rollback.requestedBy ?? "unknown", reason: rollback.reason, in: transaction)
        }
        return handlers
    }
}
