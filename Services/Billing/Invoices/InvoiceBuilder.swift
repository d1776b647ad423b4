import Foundation
import IntelliCoreEvents

/// An invoice as billing shows and stores it: amounts as exact decimal strings.
struct Invoice: Codable, Sendable {
    struct Line: Codable, Sendable, Equatable {
        let meter: String
        let modelName: String
        let modelVersion: String
        let quantity: String
        let amount: String
    }

    let invoiceId: String
    let tenantId: String
    let period: String
    let periodStart: Date
    let periodEnd: Date
    /// `draft` while the period is open or within its grace period, `final` once issued.
    let status: String
    let planId: String?
    let currency: String
    let lines: [Line]
    let total: String
}

/// Prices a tenant's period: per meter, the plan's charge for the meter's total (allowance,
/// then graduated tiers), shared among the model versions that used it in proportion to their
/// quantity — in cents by largest remainder, so the lines add up to the meter's charge exactly
/// and none is negative.
enum InvoiceBuilder {
    static func invoiceId(tenant: String, period: BillingPeriod) -> String { "inv-\(tenant)-\(period)" }

    static func build(tenant: String, period: BillingPeriod, planId: String?, plan: Plan?, usage: [UsageLine], status: String,
                      defaultCurrency: String) -> Invoice {
        var lines: [Invoice.Line] = []
        var total: Decimal = 0
        for meter in UsageMeter.allCases {
            let used = usage.filter { $0.meter == meter.rawValue }.sorted { ($0.modelName, $0.modelVersion) < ($1.modelName, $1.modelVersion) }
            guard !used.isEmpty else { continue }
            let quantities = used.map(\.exact)
            let meterTotal = quantities.reduce(0, +)
            let charge = plan?.charge(meter, quantity: meterTotal).amount ?? 0
            // Largest remainder: each line gets its share rounded down to the cent, and the cents
            // left over go to the lines whose shares lost the most — never a negative line.
            let shares = quantities.map { meterTotal > 0 ? charge * $0 / meterTotal : 0 }
            var amounts = shares.map { $0.rounded(scale: 2, mode: .down) }
            var cents = ((charge - amounts.reduce(0, +)) * 100).rounded(scale: 0)
            for index in shares.indices.sorted(by: { shares[$0] - amounts[$0] > shares[$1] - amounts[$1] }) where cents > 0 {
                amounts[index] += Decimal(string: "0.01")!
                cents -= 1
            }
            for (index, line) in used.enumerated() {
                lines.append(Invoice.Line(meter: meter.rawValue, modelName: line.modelName, modelVersion: line.modelVersion,
                                          quantity: quantities[index].text, amount: amounts[index].text))
            }
            total += charge
        }
        return Invoice(invoiceId: invoiceId(tenant: tenant, period: period), tenantId: tenant, period: period.description,
                       periodStart: period.start, periodEnd: period.end, status: status, planId: planId,
                       currency: plan?.currency ?? defaultCurrency, lines: lines, total: total.rounded(scale: 2).text)
    }

    /// The `InvoiceIssued` of a final invoice.
    static func event(_ invoice: Invoice) -> InvoiceIssued {
        func double(_ text: String) -> Double { Double(text) ?? 0 }
        return InvoiceIssued(
            tenantId: invoice.tenantId, invoiceId: invoice.invoiceId, periodStart: invoice.periodStart, periodEnd: invoice.periodEnd,
            lines: invoice.lines.map { line in
                let quantity = double(line.quantity), amount = double(line.amount)
                return InvoiceLine(meter: line.meter, quantity: quantity, unitPrice: quantity > 0 ? amount / quantity : 0, amount: amount,
                                   modelName: line.modelName.isEmpty ? nil : line.modelName,
                                   modelVersion: line.modelVersion.isEmpty ? nil : line.modelVersion, amountExact: line.amount)
            },
            total: double(invoice.total), currency: invoice.currency, totalAmount: invoice.total)
    }
}
