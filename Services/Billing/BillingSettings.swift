import IntelliCoreServiceKit

/// Billing's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `BILLING_POLL_BATCH` | 2000: usage events metered per transaction |
struct BillingSettings: ServiceSettings {
    var pollBatch: Int

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        pollBatch = try reader.integer("BILLING_POLL_BATCH", default: 2000, range: 1...50_000)
    }
}
