import Synchronization

/// A closed period's invoice is issued only by a cycle whose draft is the same as the draft the
/// previous cycle made for that tenant and period: usage of the period still being metered (a
/// batch not yet read when the grace period ended, or a backlog after billing was down past it)
/// changes the draft, and billing waits until it stops changing. Usage metered after the invoice
/// was issued stays in the ledger but is not invoiced.
///
/// In memory: a billing instance that just started issues nothing in its first cycle, and the
/// unique invoice per tenant and period decides between instances.
final class InvoiceSettling: Sendable {
    private let previous = Mutex<[String: Invoice.Content]>([:])

    /// Whether `invoice` is the same as the previous cycle's draft of its tenant and period. The
    /// draft is remembered for the next cycle either way.
    func isSettled(_ invoice: Invoice) -> Bool {
        let key = "\(invoice.tenantId)/\(invoice.period)"
        return previous.withLock { drafts in
            defer { drafts[key] = invoice.content }
            return drafts[key] == invoice.content
        }
    }

    /// Forgets the tenant's draft of the period once its invoice is issued.
    func issued(_ invoice: Invoice) {
        _ = previous.withLock { $0.removeValue(forKey: "\(invoice.tenantId)/\(invoice.period)") }
    }
}

extension Invoice {
    /// What an invoice charges, without its status or dates: what two drafts must agree on.
    struct Content: Equatable, Sendable {
        let planId: String?
        let currency: String
        let lines: [Line]
        let total: String
    }

    var content: Content { Content(planId: planId, currency: currency, lines: lines, total: total) }
}
