import IntelliCoreServiceKit
import ServiceLifecycle

extension TrainingOrchestratorService {
    /// The consumer of `intellicore.datasets` that stores the training data, one transaction per
    /// polled batch; the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: TrainingSettings, routes: ServiceRoutes) throws -> [any Service] {
        let data = TrainingDataStore(schema: context.schema)
        return [
            try context.eventConsumer(purpose: "datasets", topics: [.datasets],
                                      handlers: DatasetEventsHandler(store: data, logger: context.logger).handlers,
                                      transactions: .perBatch, latency: .hotPath, batchSize: settings.datasetPollBatch),
        ]
    }
}
