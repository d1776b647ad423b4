import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreServiceKit

/// Materialises `intellicore.models` into the ingestion schema and the in-memory catalog (once
/// each transaction committed): versions with their OIP signature, deployments with the version an
/// alias pointed to before, retirements. A model belongs to the tenant in `ce_tenantid`. Each
/// change notifies `changes`, so that the other replicas' catalogs reload it.
struct CatalogEventsHandler: Sendable {
    let store: CatalogStore
    let catalog: ModelCatalog
    let changes: ChangeChannel

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ModelVersionRegistered.self) { event, registered, transaction in
            let key = ModelKey(tenant: try event.owningTenant(payload: registered.tenantId), model: registered.modelName)
            let signature: ModelSignature
            do {
                signature = try FeedForwardNetwork(try ArtifactCodec.decode(json: try ArtifactCodec.unpack(registered.artifact))).signature
            } catch {
                throw EventRejection("artifact of \(registered.modelName) v\(registered.version) is unusable: \(error)")
            }
            try await store.saveVersion(key, version: registered.version, signature: signature, on: transaction.connection, logger: transaction.logger)
            try await transaction.notify(changes)
            transaction.afterCommit { catalog.register(key, version: registered.version, signature: signature) }
        }
        handlers.on(ModelDeployed.self) { event, deployed, transaction in
            let key = ModelKey(tenant: try event.owningTenant(), model: deployed.modelName)
            let policy = deployed.trafficPolicy.routes.isEmpty ? TrafficPolicy.single(deployed.version) : deployed.trafficPolicy
            let deployment = CatalogDeployment(version: deployed.version, policy: policy, previousVersion: deployed.previousVersion)
            try await store.saveDeployment(key, alias: deployed.alias, deployment: deployment, on: transaction.connection, logger: transaction.logger)
            try await transaction.notify(changes)
            transaction.afterCommit { catalog.deploy(key, alias: deployed.alias, deployment: deployment) }
        }
        handlers.on(ModelRolledBack.self) { event, rollback, transaction in
            let key = ModelKey(tenant: try event.owningTenant(), model: rollback.modelName)
            let deployment = CatalogDeployment(version: rollback.toVersion, policy: .single(rollback.toVersion), previousVersion: nil)
            try await store.saveDeployment(key, alias: rollback.alias, deployment: deployment, on: transaction.connection, logger: transaction.logger)
            try await transaction.notify(changes)
            transaction.afterCommit { catalog.deploy(key, alias: rollback.alias, deployment: deployment) }
        }
        handlers.on(ModelRetired.self) { event, retired, transaction in
            let key = ModelKey(tenant: try event.owningTenant(), model: retired.modelName)
            try await store.retire(key, version: retired.version, on: transaction.connection, logger: transaction.logger)
            try await transaction.notify(changes)
            transaction.afterCommit { catalog.retire(key, version: retired.version) }
        }
        return handlers
    }

}

/// Follows the training jobs' lifecycle from `intellicore.training.events`, so that a cancel
/// command can be refused for a job that already finished.
struct TrainingEventsHandler: Sendable {
    let store: JobStore

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ModelTrainingQueued.self) { _, queued, transaction in
            try await store.advance(jobId: queued.jobId, tenant: queued.tenantId, model: queued.modelName, to: .queued,
                                    on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(ModelTrainingStarted.self) { _, started, transaction in
            try await store.advance(jobId: started.jobId, tenant: started.tenantId, model: started.modelName, to: .running,
                                    on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(ModelTrainingCompleted.self) { _, completed, transaction in
            try await store.advance(jobId: completed.jobId, tenant: completed.tenantId, model: completed.modelName, to: .completed,
                                    on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(ModelTrainingFailed.self) { _, failed, transaction in
            // A retriable failure is followed by another attempt: the job is queued again.
            try await store.advance(jobId: failed.jobId, tenant: failed.tenantId, model: failed.modelName, to: failed.retriable ? .queued : .failed,
                                    on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(ModelTrainingCancelled.self) { _, cancelled, transaction in
            try await store.advance(jobId: cancelled.jobId, tenant: cancelled.tenantId, model: cancelled.modelName, to: .cancelled,
                                    on: transaction.connection, logger: transaction.logger)
        }
        return handlers
    }
}
