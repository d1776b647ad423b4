import IntelliCoreServiceKit
import ServiceLifecycle

extension BillingService {
    /// The usage consumer (offsets kept with the ledger) and the read API; the kit runs the
    /// outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: BillingSettings, routes: ServiceRoutes) throws -> [any Service] {
        let ledger = LedgerStore(schema: context.schema)
        BillingRoutes.add(to: routes.api, client: context.postgres, schema: context.schema)
        return [
            try context.eventConsumer(purpose: "usage", topics: [.predictionResults, .trainingEvents, .datasets],
                                      handlers: UsageEventsHandler(ledger: ledger).handlers,
                                      transactions: .perBatchWithOffsets, latency: .hotPath, batchSize: settings.pollBatch),
        ]
    }
}
