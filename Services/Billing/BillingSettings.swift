import IntelliCoreServiceKit

/// Billing's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `BILLING_POLL_BATCH` | 2000: usage events metered per transaction |
/// | `BILLING_TRANSACTIONS_IN_FLIGHT` | 2: usage batches in flight, committed in order (ADR 0014); 1 for one transaction at a time |
/// | `BILLING_CYCLE_SECONDS` | 60: how often quotas are re-checked for a new period, usage summaries published and closed periods invoiced |
/// | `BILLING_INVOICE_GRACE_SECONDS` | 86400: how long after a period ends late usage events still count; then its invoice is final, issued by the first cycle whose draft is the same as the previous cycle's (usage of the period still being metered is waited for) |
/// | `BILLING_DEFAULT_CURRENCY` | EUR: the currency of invoices of tenants whose plan billing does not know |
/// | `INGESTION_ADMIN_KEY` | none: the platform administrator's key (the same as the gateway's), the only key that manages plans |
struct BillingSettings: ServiceSettings {
    var pollBatch: Int
    var transactionsInFlight: Int
    var cycleSeconds: Int
    var graceSeconds: Int
    var defaultCurrency: String
    var adminKey: String?

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        pollBatch = try reader.integer("BILLING_POLL_BATCH", default: 2000, range: 1...50_000)
        transactionsInFlight = try reader.integer("BILLING_TRANSACTIONS_IN_FLIGHT", default: 2, range: 1...2)
        cycleSeconds = try reader.integer("BILLING_CYCLE_SECONDS", default: 60, range: 1...86_400)
        graceSeconds = try reader.integer("BILLING_INVOICE_GRACE_SECONDS", default: 86_400, range: 0...2_678_400)
        defaultCurrency = reader.string("BILLING_DEFAULT_CURRENCY", default: "EUR")
        guard defaultCurrency.count == 3, defaultCurrency.allSatisfy({ $0.isUppercase && $0.isASCII }) else {
            throw ConfigurationError(variable: "BILLING_DEFAULT_CURRENCY", message: "must be an ISO 4217 code like EUR")
        }
        adminKey = reader.optionalString("INGESTION_ADMIN_KEY")
    }
}
