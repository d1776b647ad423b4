@testable import Billing
import IntelliCoreEvents
import Testing

/// A closed period's invoice waits until its draft is the same in two cycles in a row.
@Suite struct InvoiceSettlingTests {
    static func draft(tenant: String = "acme", period: String = "2026-11", predictions: String, storage: String? = nil,
                      plan: Plan = PlanPricingTests.plan) throws -> Invoice {
        var usage = [UsageLine(meter: UsageMeter.predictions.rawValue, modelName: "churn", modelVersion: "1", exactText: predictions)]
        if let storage { usage.append(UsageLine(meter: UsageMeter.storageGBMonths.rawValue, modelName: "", modelVersion: "", exactText: storage)) }
        return InvoiceBuilder.build(tenant: tenant, period: try #require(BillingPeriod(period)), planId: plan.planId, plan: plan,
                                    usage: usage, status: "final", defaultCurrency: "EUR")
    }

    @Test func anInvoiceIsIssuedOnceItsDraftStopsChanging() throws {
        let settling = InvoiceSettling()
        #expect(!settling.isSettled(try Self.draft(predictions: "1")), "the first draft a cycle sees is never settled")
        #expect(!settling.isSettled(try Self.draft(predictions: "11")), "usage still being metered changed it")
        #expect(!settling.isSettled(try Self.draft(predictions: "11", storage: "0.05")), "another meter arrived")
        let settled = try Self.draft(predictions: "11", storage: "0.05")
        #expect(settling.isSettled(settled), "the same draft two cycles in a row")
        settling.issued(settled)
        #expect(!settling.isSettled(try Self.draft(predictions: "11", storage: "0.05")), "issued: its draft is forgotten")
    }

    @Test func tenantsAndPeriodsSettleApart() throws {
        let settling = InvoiceSettling()
        #expect(!settling.isSettled(try Self.draft(tenant: "a", predictions: "5")))
        #expect(!settling.isSettled(try Self.draft(tenant: "b", predictions: "5")), "another tenant's draft is not this one's")
        #expect(!settling.isSettled(try Self.draft(tenant: "a", period: "2026-10", predictions: "5")), "another period's neither")
        #expect(settling.isSettled(try Self.draft(tenant: "a", predictions: "5")))
        #expect(settling.isSettled(try Self.draft(tenant: "b", predictions: "5")))
    }
}
