import Foundation
import IntelliCoreServiceKit
import ServiceLifecycle

extension BillingService {
    /// The usage consumer (offsets kept with the ledger; quotas checked in its transactions), the
    /// plans consumer (a new tenant's plan), the billing cycle (new-period quotas, usage
    /// summaries, invoices) and the API; the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: BillingSettings, routes: ServiceRoutes) throws -> [any Service] {
        if let adminKey = settings.adminKey {
            context.apiKeys.pin(hash: APIKeyAuthenticator.hash(adminKey), caller: PlatformAdmin.caller)
        }
        let ledger = LedgerStore(schema: context.schema)
        let plans = PlanStore(schema: context.schema)
        let quotas = QuotaStore(schema: context.schema)
        let keeper = QuotaKeeper(plans: plans, store: quotas)
        let usage = UsageReadStore(schema: context.schema, client: context.postgres)
        let invoices = InvoiceStore(schema: context.schema)
        let storage = StorageStore(schema: context.schema)
        let cycle = BillingCycle(context: context, plans: plans, keeper: keeper, quotas: quotas, usage: usage, invoices: invoices, storage: storage,
                                 grace: .seconds(settings.graceSeconds), defaultCurrency: settings.defaultCurrency)
        BillingRoutes.add(to: routes.api, client: context.postgres, usage: usage, invoices: invoices, cycle: cycle, plans: plans, context: context)
        BillingAdminRoutes.add(to: routes.api, context: context, plans: plans, keeper: keeper)
        try OpenAPIRoute.add(to: routes.router, document: Bundle.module.url(forResource: "openapi", withExtension: "json"),
                             service: context.descriptor.name, paths: ["/openapi.json", "/v1/billing/openapi.json"])
        return [
            try context.eventConsumer(purpose: "usage", topics: [.predictionResults, .trainingEvents, .datasets],
                                      handlers: UsageEventsHandler(ledger: ledger, storage: storage, keeper: keeper).handlers,
                                      transactions: settings.transactionsInFlight == 2 ? .pipelined : .perBatchWithOffsets, latency: .hotPath, batchSize: settings.pollBatch,
                                      deduplication: .handlers),
            try context.eventConsumer(purpose: "plans", topics: [.tenants], handlers: TenantPlansHandler(plans: plans).handlers),
            PeriodicTask(name: "billing-cycle", interval: .seconds(settings.cycleSeconds), initialDelay: .seconds(1), logger: context.logger) {
                try await cycle.run()
            },
        ]
    }
}
