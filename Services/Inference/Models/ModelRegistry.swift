import IntelliCoreEvents
import Synchronization

struct VersionInfo: Sendable, Hashable {
    var retired: Bool
}

/// What the router knows: each tenant's model versions, deployments per alias, tenants over quota.
struct RegistrySnapshot: Sendable {
    var versions: [ModelKey: [Int: VersionInfo]] = [:]
    var deployments: [ModelKey: [String: TrafficPolicy]] = [:]
    var exceededTenants: Set<String> = []
}

/// The live routing state, updated by the model and quota handlers and read per batch.
final class ModelRegistry: Sendable {
    private let state: Mutex<RegistrySnapshot>

    init(_ snapshot: RegistrySnapshot = RegistrySnapshot()) {
        state = Mutex(snapshot)
    }

    /// Installs the state read from the inference schema at start.
    func replace(with snapshot: RegistrySnapshot) {
        state.withLock { $0 = snapshot }
    }

    /// A consistent copy for one batch.
    var snapshot: RegistrySnapshot { state.withLock { $0 } }

    func registerVersion(_ key: ModelVersionKey) {
        state.withLock { $0.versions[key.modelKey, default: [:]][key.version] = VersionInfo(retired: false) }
    }

    func retire(_ key: ModelVersionKey) {
        state.withLock { $0.versions[key.modelKey]?[key.version]?.retired = true }
    }

    func deploy(_ model: ModelKey, alias: String, policy: TrafficPolicy) {
        state.withLock { $0.deployments[model, default: [:]][alias] = policy }
    }

    func setQuotaExceeded(tenant: String, _ exceeded: Bool) {
        state.withLock { state in
            if exceeded { state.exceededTenants.insert(tenant) } else { state.exceededTenants.remove(tenant) }
        }
    }
}
