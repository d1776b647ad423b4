import IntelliCoreServiceKit

/// The `billing` executable: meters what every tenant uses, effectively once — each polled batch
/// of usage events, its ledger rows and the consumer's offsets commit in one transaction.
@main
enum BillingService {
    static let descriptor = ServiceDescriptor(name: "billing", schema: "billing", defaultHTTPPort: 8085,
                                              migrations: BillingMigrations.all, usesOutbox: true)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: BillingSettings.self, build: build)
    }
}
