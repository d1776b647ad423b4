import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit
import ServiceLifecycle

extension MonitoringService {
    /// The prediction stream consumer (windows, drift histograms, feedback join, in memory), the
    /// model events consumer (catalog, training jobs, audit, in PostgreSQL), the health evaluator
    /// (alerts through the outbox), the dashboard feed's ticks, and the API and dashboard routes;
    /// the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: MonitoringSettings, routes: ServiceRoutes) throws -> [any Service] {
        let live = LiveMetrics(dedupeSeconds: settings.dedupeSeconds, feedbackCapacity: settings.feedbackCapacity,
                               driftWindowSeconds: settings.driftWindowSeconds)
        let catalog = ModelCatalog()
        let store = CatalogStore(schema: context.schema)
        let alerts = AlertStore(schema: context.schema)
        let audit = AuditStore(schema: context.schema)
        let jobs = TrainingJobStore(schema: context.schema)
        let feed = DashboardFeed()
        let evaluator = HealthEvaluator(context: context, live: live, catalog: catalog, store: store, alerts: alerts, feed: feed, settings: settings)
        MonitoringRoutes.add(to: routes.api, MonitoringRoutes.Dependencies(context: context, live: live, catalog: catalog, store: store, alerts: alerts,
                                                                          audit: audit, jobs: jobs, settings: settings))
        try DashboardRoutes.add(to: routes, feed: feed)
        try OpenAPIRoute.add(to: routes.router, document: Bundle.module.url(forResource: "openapi", withExtension: "json"),
                             service: context.descriptor.name, paths: ["/openapi.json", "/v1/monitoring/openapi.json"])
        // Answers and feedback in one group, requests (sampled for drift) in another: two
        // pipelines, each with its own fetch thread and processing task.
        let streams = try [("stream", [Topic.predictionResults, .predictionFeedback]), ("inputs", [Topic.predictionRequests])].map { purpose, topics in
            PredictionStreamConsumer(consumer: try context.makeConsumer(purpose: purpose, latency: .hotPath), topics: context.configuration.topics,
                                     subscribed: topics, live: live, catalog: catalog, deadLetters: context.deadLetters,
                                     sampleEvery: settings.sampleEvery, batchSize: settings.pollBatch, logger: context.logger) {
                try await catalog.loadOnce { try await store.load(into: catalog, client: context.postgres, logger: context.logger) }
            }
        }
        return [
            try context.eventConsumer(purpose: "models", topics: [.models, .trainingEvents, .audit],
                                      handlers: ModelEventsHandler(catalog: catalog, store: store, jobs: jobs, audit: audit, feed: feed).handlers),
            streams[0],
            streams[1],
            PeriodicTask(name: "health-evaluator", interval: .seconds(settings.evaluateSeconds), initialDelay: .seconds(settings.evaluateSeconds),
                         logger: context.logger) {
                try await evaluator.run()
            },
            PeriodicTask(name: "dashboard-feed", interval: .seconds(1), logger: context.logger) {
                let now = Date().timeIntervalSince1970
                for tenant in feed.watchedTenants {
                    let summaries = live.versions(tenant: tenant, now: now).sorted { ($0.model, $0.version) < ($1.model, $1.version) }
                        .compactMap { version in live.window(version, seconds: 60, now: now).map { WindowSummary(version, $0, seconds: 60, now: now) } }
                    feed.publish("metrics", tenant: tenant, summaries)
                }
            },
            PeriodicTask(name: "dashboard-heartbeat", interval: .seconds(15), logger: context.logger) { feed.heartbeat() },
        ]
    }
}
