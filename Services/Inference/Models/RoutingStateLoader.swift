import IntelliCoreServiceKit
import Logging
import ServiceLifecycle

/// Rebuilds routing state from the inference schema (no topic replay), then runs the components
/// that read and update it: they must not start before the state they update is in place.
struct RoutingStateLoader: Service {
    let store: PostgresModelStore
    let registry: ModelRegistry
    let logger: Logger
    let then: [any Service]

    func run() async throws {
        let loaded = await StartupLoad.untilDone("routing state", logger: logger) {
            let snapshot = try await store.loadState()
            registry.replace(with: snapshot)
            logger.info("routing state loaded", metadata: ["models": "\(snapshot.versions.count)"])
        }
        guard loaded else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in then { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
