import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// `intellicore.models`, `intellicore.training.events` and `intellicore.audit`: the catalog of
/// versions (input schema, baseline) and aliases, training jobs' progress, and the audit trail,
/// each stored once (inbox) and handed to the catalog and the dashboard after the commit. An
/// event whose tenant is missing, or a version whose artifact cannot be read, goes to the
/// dead-letter topic with the reason.
struct ModelEventsHandler: Sendable {
    let catalog: ModelCatalog
    let store: CatalogStore
    let jobs: TrainingJobStore
    let audit: AuditStore
    let feed: DashboardFeed

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ModelVersionRegistered.self) { event, registered, transaction in
            let tenant = try event.owningTenant(payload: registered.tenantId)
            let version: ModelCatalog.Version
            do {
                version = try ModelCatalog.version(from: registered)
            } catch {
                throw EventRejection("the artifact of \(registered.modelName) version \(registered.version) cannot be read: \(error)")
            }
            try await store.saveVersion(tenant: tenant, registered, version, on: transaction.connection, logger: transaction.logger)
            transaction.afterCommit { catalog.register(tenant: tenant, model: registered.modelName, version: registered.version, version) }
        }
        handlers.on(ModelDeployed.self) { event, deployed, transaction in
            try await moveAlias(event, model: deployed.modelName, alias: deployed.alias, policy: deployed.trafficPolicy, transaction)
        }
        handlers.on(ModelRolledBack.self) { event, rolledBack, transaction in
            try await moveAlias(event, model: rolledBack.modelName, alias: rolledBack.alias, policy: .single(rolledBack.toVersion), transaction)
        }
        handlers.on(ModelTrainingQueued.self) { event, queued, transaction in
            try await job(event, tenant: queued.tenantId, queued.jobId, model: queued.modelName, status: "queued", transaction)
        }
        handlers.on(ModelTrainingStarted.self) { event, started, transaction in
            try await job(event, tenant: started.tenantId, started.jobId, model: started.modelName, status: "running", transaction)
        }
        handlers.on(ModelTrainingProgress.self) { event, progress, transaction in
            try await job(event, tenant: try event.owningTenant(), progress.jobId, model: progress.modelName, status: "running",
                          epoch: progress.epoch, epochs: progress.epochs, metrics: progress.metrics, transaction)
        }
        handlers.on(ModelTrainingCompleted.self) { event, completed, transaction in
            try await job(event, tenant: completed.tenantId, completed.jobId, model: completed.modelName, status: "completed",
                          metrics: completed.metrics, version: completed.version, transaction)
        }
        handlers.on(ModelTrainingFailed.self) { event, failed, transaction in
            try await job(event, tenant: failed.tenantId, failed.jobId, model: failed.modelName, status: "failed", reason: failed.reason, transaction)
        }
        handlers.on(ModelTrainingCancelled.self) { event, cancelled, transaction in
            try await job(event, tenant: cancelled.tenantId, cancelled.jobId, model: cancelled.modelName, status: "cancelled",
                          reason: cancelled.reason, transaction)
        }
        handlers.on(AuditRecorded.self) { event, recorded, transaction in
            let tenant = try event.owningTenant(payload: recorded.tenantId)
            try await audit.save(eventId: event.id, recorded, at: event.time, on: transaction.connection, logger: transaction.logger)
            transaction.afterCommit { feed.publish("audit", tenant: tenant, recorded) }
        }
        return handlers
    }

    private struct AliasMove: Encodable {
        let modelName: String
        let alias: String
        let trafficPolicy: TrafficPolicy
    }

    private func moveAlias(_ event: CloudEvent, model: String, alias: String, policy: TrafficPolicy, _ transaction: EventTransaction) async throws {
        let tenant = try event.owningTenant()
        try await store.saveAlias(tenant: tenant, model: model, alias: alias, policy: policy, on: transaction.connection, logger: transaction.logger)
        transaction.afterCommit {
            catalog.deploy(tenant: tenant, model: model, alias: alias, policy: policy)
            feed.publish("deployment", tenant: tenant, AliasMove(modelName: model, alias: alias, trafficPolicy: policy))
        }
    }

    private func job(_ event: CloudEvent, tenant: String, _ jobId: String, model: String, status: String, epoch: Int? = nil, epochs: Int? = nil,
                     metrics: [String: Double]? = nil, version: Int? = nil, reason: String? = nil, _ transaction: EventTransaction) async throws {
        _ = try event.owningTenant(payload: tenant)
        let job = try await jobs.update(jobId: jobId, tenant: tenant, model: model, status: status, epoch: epoch, epochs: epochs, metrics: metrics,
                                        version: version, reason: reason, on: transaction.connection, logger: transaction.logger)
        transaction.afterCommit { feed.publish("training", tenant: tenant, job) }
    }
}
