import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Final invoices: at most one per tenant and period (a unique constraint, not a check).
struct InvoiceStore: Sendable {
    let schema: SchemaName

    private var invoices: String { schema.qualified("invoices") }
    private var published: String { schema.qualified("usage_published") }

    /// Stores a final invoice; false when the tenant's invoice for the period exists already.
    func issue(_ invoice: Invoice, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let lines = String(decoding: try EventCodec.encode(invoice.lines), as: UTF8.self)
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: invoices) (invoice_id, tenant_id, period_start, period_end, plan_id, currency, total, lines)
            VALUES (\(invoice.invoiceId), \(invoice.tenantId), \(invoice.periodStart), \(invoice.periodEnd), \(invoice.planId), \(invoice.currency),
                    \(invoice.total)::numeric, \(lines))
            ON CONFLICT (tenant_id, period_start) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The tenant's final invoices, newest period first, before `before` (a period start).
    func invoices(tenant: String, period: BillingPeriod? = nil, before: Date?, limit: Int, client: PostgresClient, logger: Logger) async throws -> [Invoice] {
        let rows = try await client.query("""
            SELECT invoice_id, period_start, period_end, plan_id, currency, total::text, lines FROM \(unescaped: invoices)
            WHERE tenant_id = \(tenant) AND period_start < \(before ?? Date.distantFuture)
              AND (\(period?.start)::timestamptz IS NULL OR period_start = \(period?.start))
            ORDER BY period_start DESC LIMIT \(limit)
            """, logger: logger)
        var found: [Invoice] = []
        for try await (id, start, end, plan, currency, total, lines) in rows.decode((String, Date, Date, String?, String, String, String).self) {
            found.append(Invoice(invoiceId: id, tenantId: tenant, period: BillingPeriod(containing: start).description, periodStart: start,
                                 periodEnd: end, status: "final", planId: plan, currency: currency,
                                 lines: try EventCodec.decode([Invoice.Line].self, from: Array(lines.utf8)), total: total))
        }
        return found
    }

    /// The period total last published for (tenant, meter); records `quantity` as published.
    func markPublished(tenant: String, meter: String, period: BillingPeriod, quantity: Decimal, on connection: PostgresConnection,
                       logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: published) (tenant_id, meter, period_start, quantity) VALUES (\(tenant), \(meter), \(period.start), \(quantity.text)::numeric)
            ON CONFLICT (tenant_id, meter, period_start) DO UPDATE SET quantity = excluded.quantity
            WHERE \(unescaped: published).quantity <> excluded.quantity
            RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }
}
