import IntelliCoreConcurrency
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreNumerics
import IntelliCoreServiceKit
import Logging
import ServiceLifecycle

/// Rebuilds routing state from the inference schema (no topic replay), then runs the model-event,
/// quota and prediction consumers together.
struct InferencePipeline: Service {
    let context: ServiceContext
    let registry: ModelRegistry
    let store: PostgresModelStore
    let processor: PredictionProcessor
    let settings: InferenceSettings

    init(context: ServiceContext, settings: InferenceSettings, backend: any NumericsBackend) throws {
        self.context = context
        self.settings = settings
        registry = ModelRegistry()
        store = PostgresModelStore(client: context.postgres, schema: context.schema, logger: context.logger)
        processor = PredictionProcessor(
            registry: registry, models: LoadedModelCache(budgetBytes: settings.modelMemoryBytes), store: store, cache: context.cache,
            backend: backend, settings: settings, resultsTopic: context.configuration.topics[.predictionResults],
            logger: context.logger, metrics: InferenceMetrics())
    }

    func run() async throws {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while true {
            do {
                // Safe to replace: the event handlers that update the registry start after this.
                let snapshot = try await store.loadState()
                registry.replace(with: snapshot)
                context.logger.info("routing state loaded", metadata: ["models": "\(snapshot.versions.count)"])
                break
            } catch {
                if Task.isShuttingDownGracefully { return }
                context.logger.warning("cannot load routing state; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff.next())
            }
        }
        let topics = context.configuration.topics
        let models = ModelEventsHandler(store: store, inbox: context.inbox(consumer: "inference.models"), registry: registry, logger: context.logger)
        let quotas = QuotaEventsHandler(store: store, inbox: context.inbox(consumer: "inference.quotas"), registry: registry, logger: context.logger)
        let services: [any Service] = [
            EventConsumerService(consumer: try context.makeConsumer(purpose: "models", latency: .controlPlane), topics: [topics[.models]],
                                 handledTypes: ModelEventsHandler.handledTypes, deadLetters: context.deadLetters,
                                 logger: context.logger) { event, _ in try await models.handle(event) },
            EventConsumerService(consumer: try context.makeConsumer(purpose: "quotas", latency: .controlPlane), topics: [topics[.billing]],
                                 handledTypes: QuotaEventsHandler.handledTypes, deadLetters: context.deadLetters,
                                 logger: context.logger) { event, _ in try await quotas.handle(event) },
            PredictionConsumer(consumer: try context.makeConsumer(purpose: "predictions"), topic: topics[.predictionRequests],
                               processor: processor, producer: context.producer, deadLetters: context.deadLetters,
                               maxBatch: settings.maxBatch, workers: settings.workers, logger: context.logger),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
