import Foundation
import IntelliCoreServiceKit
import ServiceLifecycle

extension IngestionService {
    /// Pins the platform administrator's key from configuration, registers the HTTP routes behind
    /// the per-key rate limit, and assembles the components in start order: the model catalog
    /// loaded from the ingestion schema, then the consumers that update it, the raw records
    /// consumer, the reply consumer and the periodic sweeps (interrupted uploads, idempotency
    /// keys); the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: IngestionSettings, routes: ServiceRoutes) throws -> [any Service] {
        if let adminKey = settings.adminKey {
            context.apiKeys.pin(hash: APIKeyAuthenticator.hash(adminKey), caller: PlatformAdmin.caller)
        } else {
            context.logger.warning("INGESTION_ADMIN_KEY is not set: no key can create tenants until one is configured")
        }
        let plans = TenantPlans(client: context.postgres, schema: context.schema, logger: context.logger)
        let api = routes.api.group().add(middleware: RateLimitMiddleware(limiter: RateLimiter(cache: context.cache),
                                                                          limits: settings.rateLimits, plans: plans))
        let catalog = ModelCatalog()
        let catalogStore = CatalogStore(schema: context.schema)
        // Every replica's catalog reloads when any replica's consumer changed the tables.
        let catalogChanges = context.changeChannel("model_catalog")
        let jobs = JobStore(schema: context.schema)
        let topics = context.configuration.topics
        let pending = PendingReplies(capacity: settings.maxInFlight)
        let replies = ReplyConsumer(consumer: try context.makeConsumer(purpose: "replies"), topic: topics[.predictionReplies],
                                    pending: pending, health: context.health, logger: context.logger)
        let predictor = SyncPredictor(producer: context.producer, requestsTopic: topics[.predictionRequests], repliesTopic: topics[.predictionReplies],
                                      source: context.descriptor.eventSource, pending: pending, replies: replies)
        let datasets = DatasetStore(schema: context.schema)
        let closer = VersionCloser(store: datasets, maxRejectedShare: settings.uploads.maxRejectedShare)
        let upload = DatasetUpload(context: context, store: datasets, closer: closer, settings: settings.uploads, topic: topics[.datasets])
        TenantRoutes(context: context, store: TenantStore(schema: context.schema)).add(to: api)
        DatasetRoutes(context: context, store: datasets, closer: closer, upload: upload, sampleLimit: settings.uploads.sampleLimit).add(to: api)
        CommandRoutes(context: context, catalog: catalog, jobs: jobs).add(to: api)
        let oip = OIPRoutes(catalog: catalog, predictor: predictor, health: context.health, timeouts: settings.predictTimeouts)
        oip.addHealth(to: routes.router)
        try OpenAPIRoute.add(to: routes.router, document: Bundle.module.url(forResource: "openapi", withExtension: "json"), service: "ingestion")
        oip.add(to: api)
        let consumers: [any Service] = [
            try context.eventConsumer(purpose: "models", topics: [.models],
                                      handlers: CatalogEventsHandler(store: catalogStore, catalog: catalog, changes: catalogChanges).handlers),
            try context.eventConsumer(purpose: "training", topics: [.trainingEvents], handlers: TrainingEventsHandler(store: jobs).handlers),
            try context.eventConsumer(purpose: "raw-records", topics: [.ingestRaw],
                                      handlers: RawRecordsHandler(store: datasets, sampleLimit: settings.uploads.sampleLimit).handlers),
            replies,
            PeriodicTask(name: "interrupted-uploads", interval: max(.seconds(1), settings.uploads.lease / 2), logger: context.logger) {
                try await upload.failInterrupted()
            },
            PeriodicTask(name: "idempotency-sweep", interval: .seconds(3600), initialDelay: .seconds(60), logger: context.logger) {
                try await IdempotentCommand.sweep(context: context)
            },
        ]
        let logger = context.logger, client = context.postgres
        return [LoadThenRun("model catalog", context: context, reloadOn: catalogChanges, load: {
            let models = try await catalogStore.load(client: client, logger: logger)
            catalog.replace(with: models)
            logger.info("model catalog loaded", metadata: ["models": "\(models.count)"])
        }, then: consumers)]
    }
}
