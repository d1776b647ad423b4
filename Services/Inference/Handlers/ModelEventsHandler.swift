import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreServiceKit

/// Materialises versions, artifacts and deployments from `intellicore.models` into the
/// inference schema, then updates the router once the transaction committed.
///
/// A model belongs to the tenant in the event's `ce_tenantid`; `ModelVersionRegistered` must name
/// the same tenant in its payload. Events without a tenant are rejected to the dead letter topic.
struct ModelEventsHandler: Sendable {
    let store: PostgresModelStore
    let registry: ModelRegistry
    /// Notified with each change, so that the other replicas' routers reload it.
    let changes: ChangeChannel

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ModelVersionRegistered.self) { event, registered, transaction in
            let tenant = try event.owningTenant(payload: registered.tenantId)
            let json: [UInt8]
            do {
                json = try ArtifactCodec.unpack(registered.artifact)
                _ = try FeedForwardNetwork(try ArtifactCodec.decode(json: json))
            } catch {
                throw EventRejection("artifact of \(registered.modelName) v\(registered.version) is unusable: \(error)")
            }
            let key = ModelVersionKey(tenant: tenant, model: registered.modelName, version: registered.version)
            try await store.saveVersion(key, digest: registered.artifact.digest, artifactJSON: json, on: transaction.connection)
            try await transaction.notify(changes)
            transaction.afterCommit { registry.registerVersion(key) }
            transaction.logger.info("model version registered", metadata: ["model.name": "\(key.model)", "model.version": "\(key.version)",
                                                                           "tenant.id": "\(tenant)"])
        }
        handlers.on(ModelDeployed.self) { event, deployed, transaction in
            let model = ModelKey(tenant: try event.owningTenant(), model: deployed.modelName)
            let policy = deployed.trafficPolicy.routes.isEmpty ? TrafficPolicy.single(deployed.version) : deployed.trafficPolicy
            try await store.saveDeployment(model, alias: deployed.alias, version: deployed.version, policy: policy, on: transaction.connection)
            try await transaction.notify(changes)
            transaction.afterCommit { registry.deploy(model, alias: deployed.alias, policy: policy) }
            transaction.logger.info("deployment updated", metadata: ["model.name": "\(model.model)", "tenant.id": "\(model.tenant)",
                                                                    "model.alias": "\(deployed.alias)", "traffic": "\(policy)"])
        }
        handlers.on(ModelRolledBack.self) { event, rollback, transaction in
            let model = ModelKey(tenant: try event.owningTenant(), model: rollback.modelName)
            let policy = TrafficPolicy.single(rollback.toVersion)
            try await store.saveDeployment(model, alias: rollback.alias, version: rollback.toVersion, policy: policy, on: transaction.connection)
            try await transaction.notify(changes)
            transaction.afterCommit { registry.deploy(model, alias: rollback.alias, policy: policy) }
        }
        handlers.on(ModelRetired.self) { event, retired, transaction in
            let key = ModelVersionKey(tenant: try event.owningTenant(), model: retired.modelName, version: retired.version)
            try await store.retire(key, on: transaction.connection)
            try await transaction.notify(changes)
            transaction.afterCommit { registry.retire(key) }
        }
        return handlers
    }

}

/// Tenants over their prediction quota, from billing's `QuotaExceeded` / `QuotaRestored`.
struct QuotaEventsHandler: Sendable {
    let store: PostgresModelStore
    let registry: ModelRegistry
    let changes: ChangeChannel

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(QuotaExceeded.self) { _, quota, transaction in
            try await apply(tenant: quota.tenantId, meter: quota.meter, exceeded: true, in: transaction)
        }
        handlers.on(QuotaRestored.self) { _, quota, transaction in
            try await apply(tenant: quota.tenantId, meter: quota.meter, exceeded: false, in: transaction)
        }
        return handlers
    }

    private func apply(tenant: String, meter: String, exceeded: Bool, in transaction: EventTransaction) async throws {
        guard meter == UsageMeter.predictions.rawValue else { return }
        try await store.saveQuota(tenant: tenant, meter: meter, exceeded: exceeded, on: transaction.connection)
        try await transaction.notify(changes)
        transaction.afterCommit { registry.setQuotaExceeded(tenant: tenant, exceeded) }
        transaction.logger.info(exceeded ? "tenant over quota" : "tenant quota restored", metadata: ["tenant.id": "\(tenant)"])
    }
}
