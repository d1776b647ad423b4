import IntelliCoreEvents
import IntelliCoreModels
import IntelliCorePostgres
import IntelliCoreServiceKit
import Logging
import PostgresNIO

/// Materialises versions, artifacts and deployments from `intellicore.models` into the
/// inference schema (through the inbox, so redelivery is a no-op), then updates the router.
struct ModelEventsHandler: Sendable {
    static let handledTypes: Set<String> = [ModelVersionRegistered.eventType, ModelDeployed.eventType,
                                            ModelRolledBack.eventType, ModelRetired.eventType]
    let store: PostgresModelStore
    let inbox: Inbox
    let registry: ModelRegistry
    let logger: Logger

    func handle(_ event: CloudEvent) async throws {
        switch event.type {
        case ModelVersionRegistered.eventType:
            let registered = try event.decode(as: ModelVersionRegistered.self)
            let json: [UInt8]
            do {
                json = try ArtifactCodec.unpack(registered.artifact)
                _ = try FeedForwardNetwork(try ArtifactCodec.decode(json: json))
            } catch {
                throw EventRejection("artifact of \(registered.modelName) v\(registered.version) is unusable: \(error)")
            }
            try await inbox.process(eventId: event.id, client: store.client, logger: logger) { connection in
                try await store.saveVersion(model: registered.modelName, version: registered.version, tenant: registered.tenantId,
                                            digest: registered.artifact.digest, artifactJSON: json, on: connection)
            }
            registry.registerVersion(model: registered.modelName, version: registered.version, tenant: registered.tenantId)
            logger.info("model version registered", metadata: ["model.name": "\(registered.modelName)", "model.version": "\(registered.version)"])
        case ModelDeployed.eventType:
            let deployed = try event.decode(as: ModelDeployed.self)
            let policy = deployed.trafficPolicy.routes.isEmpty ? TrafficPolicy.single(deployed.version) : deployed.trafficPolicy
            try await inbox.process(eventId: event.id, client: store.client, logger: logger) { connection in
                try await store.saveDeployment(model: deployed.modelName, alias: deployed.alias, version: deployed.version, policy: policy, on: connection)
            }
            registry.deploy(model: deployed.modelName, alias: deployed.alias, policy: policy)
            logger.info("deployment updated", metadata: ["model.name": "\(deployed.modelName)", "model.alias": "\(deployed.alias)", "traffic": "\(policy)"])
        case ModelRolledBack.eventType:
            let rollback = try event.decode(as: ModelRolledBack.self)
            try await inbox.process(eventId: event.id, client: store.client, logger: logger) { connection in
                try await store.saveDeployment(model: rollback.modelName, alias: rollback.alias, version: rollback.toVersion,
                                               policy: .single(rollback.toVersion), on: connection)
            }
            registry.deploy(model: rollback.modelName, alias: rollback.alias, policy: .single(rollback.toVersion))
        case ModelRetired.eventType:
            let retired = try event.decode(as: ModelRetired.self)
            try await inbox.process(eventId: event.id, client: store.client, logger: logger) { connection in
                try await store.retire(model: retired.modelName, version: retired.version, on: connection)
            }
            registry.retire(model: retired.modelName, version: retired.version)
        default:
            return
        }
    }
}

/// Tenants over their prediction quota, from billing's `QuotaExceeded` / `QuotaRestored`.
struct QuotaEventsHandler: Sendable {
    static let handledTypes: Set<String> = [QuotaExceeded.eventType, QuotaRestored.eventType]
    static let meter = "predictions"
    let store: PostgresModelStore
    let inbox: Inbox
    let registry: ModelRegistry
    let logger: Logger

    func handle(_ event: CloudEvent) async throws {
        let (tenant, meter, exceeded): (String, String, Bool)
        if event.type == QuotaExceeded.eventType {
            let quota = try event.decode(as: QuotaExceeded.self)
            (tenant, meter, exceeded) = (quota.tenantId, quota.meter, true)
        } else {
            let quota = try event.decode(as: QuotaRestored.self)
            (tenant, meter, exceeded) = (quota.tenantId, quota.meter, false)
        }
        guard meter == Self.meter else { return }
        try await inbox.process(eventId: event.id, client: store.client, logger: logger) { connection in
            try await store.saveQuota(tenant: tenant, meter: meter, exceeded: exceeded, on: connection)
        }
        registry.setQuotaExceeded(tenant: tenant, exceeded)
        logger.info(exceeded ? "tenant over quota" : "tenant quota restored", metadata: ["tenant.id": "\(tenant)"])
    }
}
