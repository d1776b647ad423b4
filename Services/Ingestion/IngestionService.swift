import IntelliCoreServiceKit

/// The `ingestion` executable: the platform's front door for people and applications that do not
/// speak Kafka. Everything it accepts becomes a domain event through its outbox.
@main
enum IngestionService {
    static let descriptor = ServiceDescriptor(name: "ingestion", schema: "ingestion", defaultHTTPPort: 8081,
                                               migrations: IngestionMigrations.all, usesOutbox: true)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: IngestionSettings.self, build: build)
    }
}
