import IntelliCoreEvents
import IntelliCoreModels
import Synchronization

/// One registered version, as the gateway needs it: its OIP signature and whether it is retired.
struct CatalogVersion: Sendable, Hashable {
    let signature: ModelSignature
    var retired: Bool
}

/// Where an alias points, and where it pointed before (what a rollback returns to).
struct CatalogDeployment: Sendable, Hashable {
    var version: Int
    var policy: TrafficPolicy
    var previousVersion: Int?
}

/// What the gateway knows of one tenant's model, from `intellicore.models`.
struct CatalogModel: Sendable, Hashable {
    var versions: [Int: CatalogVersion] = [:]
    var deployments: [String: CatalogDeployment] = [:]

    var activeVersions: [Int] { versions.filter { !$0.value.retired }.keys.sorted() }

    /// The version requests follow by default: the champion's first route, else the newest active one.
    var servedVersion: Int? { deployments[ModelAlias.champion]?.policy.routes.first?.version ?? activeVersions.last }

    func isActive(_ version: Int) -> Bool { versions[version].map { !$0.retired } ?? false }
}

/// The models of every tenant, materialised from `intellicore.models` into the ingestion schema
/// and held here for the request path (validation of commands, OIP metadata, predict routing):
/// loaded from the schema at start, updated after each handled event's transaction commits.
final class ModelCatalog: Sendable {
    private let models = Mutex<[ModelKey: CatalogModel]>([:])

    func replace(with loaded: [ModelKey: CatalogModel]) {
        models.withLock { $0 = loaded }
    }

    /// The caller's tenant's model, nil when it has none of that name.
    func model(_ key: ModelKey) -> CatalogModel? { models.withLock { $0[key] } }

    func register(_ key: ModelKey, version: Int, signature: ModelSignature) {
        models.withLock { $0[key, default: CatalogModel()].versions[version] = CatalogVersion(signature: signature, retired: false) }
    }

    func retire(_ key: ModelKey, version: Int) {
        models.withLock { $0[key]?.versions[version]?.retired = true }
    }

    func deploy(_ key: ModelKey, alias: String, deployment: CatalogDeployment) {
        models.withLock { $0[key, default: CatalogModel()].deployments[alias] = deployment }
    }
}
