import IntelliCoreServiceKit

/// The `inference` executable: batched predictions over Kafka (see docs/inference.md).
@main
enum InferenceService {
    static let descriptor = ServiceDescriptor(name: "inference", schema: "inference", defaultHTTPPort: 8083,
                                              migrations: InferenceMigrations.all)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: InferenceSettings.self, build: build)
    }
}
