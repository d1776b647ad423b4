import Foundation
import IntelliCoreServiceKit
import ServiceLifecycle

extension TrainingOrchestratorService {
    /// The consumer of `intellicore.datasets` that stores the training data (one transaction per
    /// polled batch), the consumers of training commands and of drift alerts (retraining), the
    /// queue workers that train, and the read API; the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: TrainingSettings, routes: ServiceRoutes) throws -> [any Service] {
        let data = TrainingDataStore(schema: context.schema)
        let jobs = JobStore(schema: context.schema)
        let registry = RegistryStore(schema: context.schema)
        let deployer = Deployer(registry: registry)
        let queue = WorkQueue(schema: context.schema, name: "training", perTenantLimit: settings.tenantConcurrency)
        let retraining = RetrainingStore(schema: context.schema)
        let submission = JobSubmission(jobs: jobs, queue: queue, maxAttempts: settings.retryLimit)
        let runner = TrainingJobRunner(context: context, jobs: jobs, data: data, registry: registry, deployer: deployer,
                                       retraining: retraining, settings: settings)
        TrainingRoutes.add(to: routes.api, client: context.postgres, schema: context.schema)
        try OpenAPIRoute.add(to: routes.router, document: Bundle.module.url(forResource: "openapi", withExtension: "json"),
                             service: context.descriptor.name, paths: ["/openapi.json", "/v1/training/openapi.json"])
        let workers: [any Service] = (0..<settings.workers).map { _ in
            QueueWorker(queue: queue, client: context.postgres, publisher: context.publisher,
                        settings: .init(lease: .seconds(settings.leaseSeconds), pollInterval: .milliseconds(250)),
                        logger: context.logger) { item, completion in try await runner.run(item, completion) }
        }
        return [
            try context.eventConsumer(purpose: "datasets", topics: [.datasets],
                                      handlers: DatasetEventsHandler(store: data, logger: context.logger).handlers,
                                      transactions: .perBatch, latency: .hotPath, batchSize: settings.datasetPollBatch),
            try context.eventConsumer(purpose: "commands", topics: [.trainingCommands],
                                      handlers: TrainingCommandsHandler(jobs: jobs, queue: queue, submission: submission,
                                                                        deployer: deployer).handlers),
            try context.eventConsumer(purpose: "alerts", topics: [.monitoringAlerts],
                                      handlers: DriftAlertsHandler(retraining: retraining, submission: submission,
                                                                   interval: .seconds(settings.retrainIntervalSeconds)).handlers),
        ] + workers
    }
}
