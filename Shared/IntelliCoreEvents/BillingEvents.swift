import Foundation

/// A usage summary: a tenant's use of one meter so far in a billing period. Billing publishes one
/// per tenant and meter whose usage changed, periodically — not one per metered event.
public struct UsageRecorded: DomainEvent, Hashable {
    public static let eventType = "intellicore.billing.usage-recorded.v1"
    public static let topic = Topic.billing

    public var tenantId: String
    /// `predictions`, `training_seconds`, `dataset_rows`.
    public var meter: String
    /// The period's total so far (when `periodStart` is set), else the quantity of one metered event.
    public var quantity: Double
    /// What was metered: `summary/<tenant>/<meter>/<period>/<quantity>` for a summary, else the ce_id of the metered event.
    public var sourceEventId: String
    public var occurredAt: Date
    /// The billing period the summary covers (calendar month, UTC).
    public var periodStart: Date?
    public var periodEnd: Date?

    public init(tenantId: String, meter: String, quantity: Double, sourceEventId: String, occurredAt: Date, periodStart: Date? = nil, periodEnd: Date? = nil) {
        self.tenantId = tenantId
        self.meter = meter
        self.quantity = quantity
        self.sourceEventId = sourceEventId
        self.occurredAt = occurredAt
        self.periodStart = periodStart
        self.periodEnd = periodEnd
    }
}

public struct QuotaExceeded: DomainEvent, Hashable {
    public static let eventType = "intellicore.billing.quota-exceeded.v1"
    public static let topic = Topic.billing

    public var tenantId: String
    public var meter: String
    public var limit: Double
    public var used: Double
    public var periodStart: Date
    public var periodEnd: Date

    public init(tenantId: String, meter: String, limit: Double, used: Double, periodStart: Date, periodEnd: Date) {
        self.tenantId = tenantId
        self.meter = meter
        self.limit = limit
        self.used = used
        self.periodStart = periodStart
        self.periodEnd = periodEnd
    }
}

public struct QuotaRestored: DomainEvent, Hashable {
    public static let eventType = "intellicore.billing.quota-restored.v1"
    public static let topic = Topic.billing

    public var tenantId: String
    public var meter: String
    public var limit: Double
    public var used: Double
    public var periodStart: Date
    public var periodEnd: Date

    public init(tenantId: String, meter: String, limit: Double, used: Double, periodStart: Date, periodEnd: Date) {
        self.tenantId = tenantId
        self.meter = meter
        self.limit = limit
        self.used = used
        self.periodStart = periodStart
        self.periodEnd = periodEnd
    }
}

public struct InvoiceIssued: DomainEvent, Hashable {
    public static let eventType = "intellicore.billing.invoice-issued.v1"
    public static let topic = Topic.billing

    public var tenantId: String
    public var invoiceId: String
    public var periodStart: Date
    public var periodEnd: Date
    public var lines: [InvoiceLine]
    public var total: Double
    public var currency: String
    /// The total as an exact decimal string (`"12.30"`); `total` is its approximation.
    public var totalAmount: String?

    public init(tenantId: String, invoiceId: String, periodStart: Date, periodEnd: Date, lines: [InvoiceLine], total: Double, currency: String,
                totalAmount: String? = nil) {
        self.tenantId = tenantId
        self.invoiceId = invoiceId
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.lines = lines
        self.total = total
        self.currency = currency
        self.totalAmount = totalAmount
    }
}
