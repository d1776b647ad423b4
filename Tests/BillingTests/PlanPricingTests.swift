@testable import Billing
import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit
import Testing

enum JSONRequestBodyForTests {
    static func plan(_ json: String) throws -> Plan {
        try JSONRequestBody.decode(PlanDefinition.self, from: Data(json.utf8)).validated()
    }
}

/// Prices computed by hand: allowances, graduated tiers, per-unit scaling, exact decimals, and
/// invoice lines per model version that add up to the meter's charge to the cent.
@Suite struct PlanPricingTests {
    static let plan = Plan(planId: "pro", currency: "EUR", meters: [
        // 10,000 predictions free; then per 1,000: 0.50 for the first 100 units, 0.30 beyond.
        "predictions": .init(included: 10_000, unit: 1000, tiers: [.init(upTo: 100, unitPrice: Decimal(string: "0.50")!),
                                                                   .init(upTo: nil, unitPrice: Decimal(string: "0.30")!)], hardLimit: 1_000_000),
        // per training hour: 2.00
        "training_seconds": .init(included: 0, unit: 3600, tiers: [.init(upTo: nil, unitPrice: 2)], hardLimit: nil),
    ])

    @Test func graduatedTiersAfterTheAllowance() {
        #expect(Self.plan.charge(.predictions, quantity: 9_999).amount == 0)
        // 60,000 − 10,000 = 50 units × 0.50
        #expect(Self.plan.charge(.predictions, quantity: 60_000).amount == 25)
        // 250,000 − 10,000 = 240 units: 100 × 0.50 + 140 × 0.30 = 92.00
        #expect(Self.plan.charge(.predictions, quantity: 250_000).amount == 92)
        // a fraction of a unit is priced pro rata: 10,001 → 0.001 units × 0.50 = 0.0005 → 0.00 (half-up at the cent)
        #expect(Self.plan.charge(.predictions, quantity: 10_001).amount == 0)
        // 5,400 s = 1.5 hours × 2.00
        #expect(Self.plan.charge(.trainingSeconds, quantity: 5_400).amount == 3)
        #expect(Self.plan.charge(.datasetRows, quantity: 1_000_000).amount == 0, "a meter the plan does not price costs nothing")
    }

    @Test func exactDecimalsWhereBinaryFloatsDrift() {
        // 0.1 + 0.2 ≠ 0.3 in binary floating point; 3 units at 0.10 must be exactly 0.30.
        let plan = Plan(planId: "p", currency: "EUR", meters: ["predictions": .init(included: 0, unit: 1, tiers: [.init(upTo: nil, unitPrice: Decimal(string: "0.1")!)], hardLimit: nil)])
        #expect(plan.charge(.predictions, quantity: 3).amount.text == "0.3")
    }

    @Test func invoiceLinesPerVersionAddUpToTheMeterCharge() throws {
        let usage = [
            UsageLine(meter: "predictions", modelName: "churn", modelVersion: "1", exactText: "100000"),
            UsageLine(meter: "predictions", modelName: "churn", modelVersion: "2", exactText: "50000"),
            UsageLine(meter: "predictions", modelName: "fraud", modelVersion: "1", exactText: "100000"),
            UsageLine(meter: "training_seconds", modelName: "churn", modelVersion: "2", exactText: "5400"),
        ]
        let invoice = InvoiceBuilder.build(tenant: "acme", period: try #require(BillingPeriod("2026-11")), planId: "pro", plan: Self.plan,
                                           usage: usage, status: "final", defaultCurrency: "USD")
        #expect(invoice.currency == "EUR" && invoice.invoiceId == "inv-acme-2026-11")
        // predictions: 250,000 → 92.00, shared 100k : 50k : 100k → 36.80, 18.40, 36.80; training 3.00
        #expect(invoice.lines.map(\.amount) == ["36.8", "18.4", "36.8", "3"])
        #expect(invoice.total == "95")
        let event = InvoiceBuilder.event(invoice)
        #expect(event.totalAmount == "95" && event.lines.count == 4 && event.lines[1].modelVersion == "2")
    }

    @Test func periodsAreCalendarMonthsInUTC() throws {
        let period = try #require(BillingPeriod("2026-12"))
        #expect(period.start == ISO8601DateFormatter().date(from: "2026-12-01T00:00:00Z"))
        #expect(period.end == ISO8601DateFormatter().date(from: "2027-01-01T00:00:00Z"))
        #expect(period.previous.description == "2026-11" && period.next.description == "2027-01")
        #expect(BillingPeriod("2026-13") == nil && BillingPeriod("26-01") == nil)
    }

    @Test func planDefinitionsRefuseWhatCannotBePriced() throws {
        func problem(_ json: String) -> String? {
            do {
                _ = try JSONRequestBodyForTests.plan(json)
                return nil
            } catch { return "\(error)" }
        }
        #expect(problem(#"{"plan_id":"pro","currency":"EUR","meters":{"predictions":{"unit":"1000","tiers":[{"unit_price":"0.5"}]}}}"#) == nil)
        #expect(problem(#"{"plan_id":"pro","currency":"euro","meters":{}}"#)?.contains("currency") == true)
        #expect(problem(#"{"plan_id":"pro","currency":"EUR","meters":{"gpus":{}}}"#)?.contains("not a meter") == true)
        #expect(problem(#"{"plan_id":"pro","currency":"EUR","meters":{"predictions":{"tiers":[{"unit_price":"-1"}]}}}"#)?.contains("unit_price") == true)
        #expect(problem(#"{"plan_id":"pro","currency":"EUR","meters":{"predictions":{"tiers":[{"up_to":"10","unit_price":"1"},{"up_to":"5","unit_price":"1"}]}}}"#)?.contains("grow") == true)
    }
}

extension PlanPricingTests {
    @Test func sharedChargesAreNeverNegativeAndAddUp() throws {
        // 0.04 over six equal versions: four get a cent, two none — not five cents and a −0.01.
        let plan = Plan(planId: "p", currency: "EUR", meters: ["predictions": .init(included: 0, unit: 1, tiers: [.init(upTo: nil, unitPrice: Decimal(string: "0.01")!)], hardLimit: nil)])
        let usage = (1...6).map { UsageLine(meter: "predictions", modelName: "m", modelVersion: "\($0)", exactText: "0.6666666666666666") }
        let invoice = InvoiceBuilder.build(tenant: "t", period: try #require(BillingPeriod("2026-11")), planId: "p", plan: plan, usage: usage,
                                           status: "draft", defaultCurrency: "EUR")
        let amounts = invoice.lines.compactMap { Decimal(string: $0.amount) }
        try #require(amounts.count == 6)
        #expect(amounts.allSatisfy { $0 >= 0 }, "\(invoice.lines.map(\.amount))")
        #expect(amounts.reduce(0, +) == Decimal(string: invoice.total), "\(invoice.lines.map(\.amount)) vs \(invoice.total)")
    }

    @Test func textWithALineBreakOrASignIsNotAPlanOrAPeriod() {
        #expect(BillingPeriod("2026-+1") == nil)
        #expect((try? JSONRequestBodyForTests.plan(#"{"plan_id":"pro\n","currency":"EUR","meters":{}}"#)) == nil)
        #expect((try? JSONRequestBodyForTests.plan(#"{"plan_id":"pro","currency":"EUR\r","meters":{}}"#)) == nil)
    }
}
