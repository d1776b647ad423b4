import IntelliCoreEvents
import IntelliCoreServiceKit

/// Moves aliases — by command, by a passing validation gate, or back by a rollback — and
/// publishes each move on `intellicore.models` in the transaction that records it.
struct Deployer: Sendable {
    let registry: RegistryStore

    /// Points `alias` at `version` (which must be registered and not retired) and publishes `ModelDeployed`.
    @discardableResult
    func deploy(tenant: String, model: String, version: Int, alias: String, policy: TrafficPolicy?, action: String, actor: String,
                reason: String?, in transaction: EventTransaction) async throws -> ModelDeployed {
        let connection = transaction.connection, logger = transaction.logger
        let policy = policy ?? .single(version)
        for route in policy.routes.map(\.version) + [version] + (policy.shadowVersion.map { [$0] } ?? []) {
            guard let registered = try await registry.version(tenant: tenant, model: model, version: route, on: connection, logger: logger),
                  registered.status == "registered" else {
                throw EventRejection("model \(model) has no registered version \(route) to deploy")
            }
        }
        let current = try await registry.alias(tenant: tenant, model: model, alias: alias, on: connection, logger: logger)
        try await registry.move(tenant: tenant, model: model, alias: alias, from: current?.version, to: version, previous: current?.version,
                                policy: policy, action: action, actor: actor, reason: reason, on: connection, logger: logger)
        let deployed = ModelDeployed(modelName: model, alias: alias, version: version, previousVersion: current?.version, trafficPolicy: policy)
        try await transaction.publish(deployed, key: model, subject: "\(model)/\(alias)", tenantId: tenant)
        return deployed
    }

    /// Moves `alias` back to the version it pointed to before its last move and publishes `ModelRolledBack`.
    func rollback(tenant: String, model: String, alias: String, actor: String, reason: String?, in transaction: EventTransaction) async throws {
        let connection = transaction.connection, logger = transaction.logger
        guard let current = try await registry.alias(tenant: tenant, model: model, alias: alias, on: connection, logger: logger) else {
            throw EventRejection("model \(model) has no alias \(alias) to roll back")
        }
        guard let target = current.previousVersion else {
            throw EventRejection("alias \(alias) of model \(model) has no earlier version to roll back to")
        }
        try await registry.move(tenant: tenant, model: model, alias: alias, from: current.version, to: target, previous: nil,
                                policy: .single(target), action: "rollback", actor: actor, reason: reason, on: connection, logger: logger)
        try await transaction.publish(ModelRolledBack(modelName: model, alias: alias, fromVersion: current.version, toVersion: target, reason: reason),
                                      key: model, subject: "\(model)/\(alias)", tenantId: tenant)
    }

    /// Applies a job's validation gate to its new version: `ModelValidated` and a deploy as
    /// champion when the metric meets the threshold and (if asked) is no worse than the current
    /// champion's; `ModelValidationFailed` with the reason otherwise.
    func applyGate(_ gate: ValidationGate, tenant: String, model: String, version: Int, metrics: [String: Double],
                   in transaction: EventTransaction) async throws {
        let connection = transaction.connection, logger = transaction.logger
        func better(_ value: Double, than other: Double) -> Bool { gate.higherIsBetter ? value >= other : value <= other }
        guard let value = metrics[gate.metric], value.isFinite else {
            try await transaction.publish(ModelValidationFailed(modelName: model, version: version, gate: gate,
                                                                reason: "the run reported no \(gate.metric) (metrics: \(metrics.keys.sorted().joined(separator: ", ")))"),
                                          key: model, subject: "\(model)/\(version)", tenantId: tenant)
            return
        }
        var champion: Double?
        if gate.mustBeatChampion, let current = try await registry.alias(tenant: tenant, model: model, alias: ModelAlias.champion, on: connection, logger: logger),
           let registered = try await registry.version(tenant: tenant, model: model, version: current.version, on: connection, logger: logger) {
            champion = registered.metrics[gate.metric]
        }
        var reason: String?
        if !better(value, than: gate.threshold) {
            reason = "\(gate.metric) \(value) is \(gate.higherIsBetter ? "below" : "above") the threshold \(gate.threshold)"
        } else if let champion, !better(value, than: champion) {
            reason = "\(gate.metric) \(value) is worse than the champion's \(champion)"
        }
        if let reason {
            try await transaction.publish(ModelValidationFailed(modelName: model, version: version, gate: gate, metricValue: value, reason: reason),
                                          key: model, subject: "\(model)/\(version)", tenantId: tenant)
            return
        }
        try await transaction.publish(ModelValidated(modelName: model, version: version, gate: gate, metricValue: value, championValue: champion),
                                      key: model, subject: "\(model)/\(version)", tenantId: tenant)
        try await deploy(tenant: tenant, model: model, version: version, alias: ModelAlias.champion, policy: nil, action: "gate",
                         actor: "validation-gate", reason: "\(gate.metric) \(value) passed the gate", in: transaction)
    }
}
