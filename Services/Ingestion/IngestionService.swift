import IntelliCoreServiceKit

/// The `ingestion` executable.
@main
enum IngestionService {
    static let descriptor = ServiceDescriptor(name: "ingestion", schema: "ingestion", defaultHTTPPort: 8081)

    static func main() async {
        await ServiceRuntime.main(descriptor)
    }
}
