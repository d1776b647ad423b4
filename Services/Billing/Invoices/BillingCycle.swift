import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit
import Logging

/// What billing does on a schedule: restores quotas when a new period began, publishes usage
/// summaries (one `UsageRecorded` per tenant and meter whose period total changed — never one per
/// metered event), and issues the invoices of the period that closed more than the grace period
/// ago (`InvoiceIssued`, once: the unique invoice per tenant and period decides). Usage that
/// arrives after its period's invoice was issued stays in the ledger but is not invoiced: the
/// grace period is how long billing waits for it, and an invoice is issued only once its draft
/// came out the same in two cycles in a row (`InvoiceSettling`), so usage of the period still
/// being metered when the grace period ends is waited for too.
struct BillingCycle: Sendable {
    let context: ServiceContext
    let plans: PlanStore
    let keeper: QuotaKeeper
    let quotas: QuotaStore
    let usage: UsageReadStore
    let invoices: InvoiceStore
    let storage: StorageStore
    let grace: Duration
    let defaultCurrency: String
    let settling = InvoiceSettling()

    private var logger: Logger { context.logger }

    func run(now: Date = Date()) async throws {
        try await context.transaction { transaction in
            let tenants = try await quotas.exceededTenants(on: transaction.connection, logger: transaction.logger)
            try await keeper.evaluate(tenants, now: now, in: transaction)
        }
        try await publishSummaries(now: now)
        try await issueInvoices(for: BillingPeriod(containing: now.addingTimeInterval(-(grace / .seconds(1)))).previous, now: now)
    }

    func publishSummaries(now: Date) async throws {
        let period = BillingPeriod(containing: now)
        for (tenant, meter, quantity) in try await usage.totals(period: period, logger: logger) {
            try await context.transaction { transaction in
                guard try await invoices.markPublished(tenant: tenant, meter: meter, period: period, quantity: quantity,
                                                       on: transaction.connection, logger: transaction.logger) else { return }
                try await transaction.publish(UsageRecorded(tenantId: tenant, meter: meter, quantity: QuotaKeeper.double(quantity),
                                                            sourceEventId: "summary/\(tenant)/\(meter)/\(period)/\(quantity.text)", occurredAt: now,
                                                            periodStart: period.start, periodEnd: period.end),
                                              key: tenant, subject: "\(tenant)/\(meter)", tenantId: tenant)
            }
        }
    }

    /// Issues the closed period's invoice of every tenant that used something in it (plans have
    /// no base fee, so a period without usage has nothing to invoice).
    func issueInvoices(for period: BillingPeriod, now: Date) async throws {
        let storing = try await storage.tenants(sealedBefore: period.end, client: context.postgres, logger: logger)
        for tenant in Set(try await usage.tenants(period: period, logger: logger)).union(storing).sorted() {
            guard try await invoices.invoices(tenant: tenant, period: period, before: nil, limit: 1, client: context.postgres, logger: logger).isEmpty else {
                continue
            }
            let invoice = try await draft(tenant: tenant, period: period, status: "final", now: now)
            guard settling.isSettled(invoice) else { continue }
            try await context.transaction { transaction in
                guard try await invoices.issue(invoice, on: transaction.connection, logger: transaction.logger) else { return }
                try await transaction.publish(InvoiceBuilder.event(invoice), key: tenant, subject: invoice.invoiceId, tenantId: tenant)
            }
            settling.issued(invoice)
            logger.info("invoice issued", metadata: ["tenant.id": "\(tenant)", "period": "\(period)", "total": "\(invoice.total) \(invoice.currency)"])
        }
    }

    /// The tenant's invoice for the period as it stands (storage counted up to `now`).
    func draft(tenant: String, period: BillingPeriod, status: String = "draft", now: Date = Date()) async throws -> Invoice {
        let assigned = try await context.transaction { try await plans.plan(of: tenant, on: $0.connection, logger: $0.logger) }
        var lines = try await usage.usage(tenant: tenant, start: period.start, end: period.end, meter: nil, model: nil, version: nil,
                                          after: nil, limit: 100_000, logger: logger)
        let stored = try await storage.gigabyteMonths(tenant: tenant, period: period, until: now, client: context.postgres, logger: logger)
        if stored > 0 {
            lines.append(UsageLine(meter: UsageMeter.storageGBMonths.rawValue, modelName: "", modelVersion: "", exactText: stored.text))
        }
        return InvoiceBuilder.build(tenant: tenant, period: period, planId: assigned.planId, plan: assigned.plan, usage: lines, status: status,
                                    defaultCurrency: defaultCurrency)
    }
}
