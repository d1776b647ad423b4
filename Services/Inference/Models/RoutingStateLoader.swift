import IntelliCoreConcurrency
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
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while true {
            do {
                let snapshot = try await store.loadState()
                registry.replace(with: snapshot)
                logger.info("routing state loaded", metadata: ["models": "\(snapshot.versions.count)"])
                break
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.warning("cannot load routing state; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff.next())
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in then { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
