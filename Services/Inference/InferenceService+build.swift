import IntelliCoreNumerics
import IntelliCoreServiceKit
import ServiceLifecycle

extension InferenceService {
    /// Assembles the service's components, in start order: the routing state loaded from its own
    /// tables, then the model-event, quota and prediction consumers; and its HTTP routes.
    @Sendable
    static func build(_ context: ServiceContext, settings: InferenceSettings, routes: ServiceRoutes) throws -> [any Service] {
        let backend = try NumericsBackends.make(named: settings.backend)
        OpenBLASBackend.setThreadCount(settings.blasThreads)
        let registry = ModelRegistry()
        let store = PostgresModelStore(client: context.postgres, schema: context.schema, logger: context.logger)
        let metrics = InferenceMetrics()
        let loader = ModelLoader(models: LoadedModelCache(budgetBytes: settings.modelMemoryBytes), store: store)
        let processor = PredictionProcessor(
            registry: registry,
            decoder: RequestDecoder(maxRequestBytes: settings.maxRequestBytes, replyTopic: context.configuration.topics[.predictionReplies],
                                    metrics: metrics),
            loader: loader,
            cache: CachedResults(cache: context.cache, ttlSeconds: settings.cacheTTLSeconds, metrics: metrics),
            compute: BatchCompute(backend: backend, metrics: metrics, logger: context.logger),
            encoder: AnswerEncoder(resultsTopic: context.configuration.topics[.predictionResults], source: context.descriptor.eventSource,
                                   metrics: metrics),
            metrics: metrics)
        ModelRoutes.add(to: routes.api, registry: registry, loader: loader)
        // Every replica's router reloads when any replica's consumer changed versions, deployments or quotas.
        let routingChanges = context.changeChannel("routing")
        let consumers: [any Service] = [
            try context.eventConsumer(purpose: "models", topics: [.models],
                                      handlers: ModelEventsHandler(store: store, registry: registry, changes: routingChanges).handlers),
            try context.eventConsumer(purpose: "quotas", topics: [.billing],
                                      handlers: QuotaEventsHandler(store: store, registry: registry, changes: routingChanges).handlers),
            PredictionConsumer(consumer: try context.makeConsumer(purpose: "predictions"),
                               topic: context.configuration.topics[.predictionRequests],
                               processor: processor, producer: context.producer, deadLetters: context.deadLetters,
                               maxBatch: settings.maxBatch, workers: settings.workers, logger: context.logger),
        ]
        let logger = context.logger
        return [LoadThenRun("routing state", context: context, reloadOn: routingChanges, load: {
            let snapshot = try await store.loadState()
            registry.replace(with: snapshot)
            logger.info("routing state loaded", metadata: ["models": "\(snapshot.versions.count)"])
        }, then: consumers)]
    }
}
