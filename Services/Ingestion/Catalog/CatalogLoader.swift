import IntelliCoreServiceKit
import Logging
import PostgresNIO
import ServiceLifecycle

/// Loads the model catalog from the ingestion schema (no topic replay), then runs the components
/// that read and update it: none may start before the state it updates is in place.
struct CatalogLoader: Service {
    let store: CatalogStore
    let catalog: ModelCatalog
    let client: PostgresClient
    let logger: Logger
    let then: [any Service]

    func run() async throws {
        let loaded = await StartupLoad.untilDone("model catalog", logger: logger) {
            let models = try await store.load(client: client, logger: logger)
            catalog.replace(with: models)
            logger.info("model catalog loaded", metadata: ["models": "\(models.count)"])
        }
        guard loaded else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in then { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
