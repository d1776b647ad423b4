import IntelliCoreServiceKit

/// The `inference` executable.
@main
enum InferenceService {
    static let descriptor = ServiceDescriptor(name: "inference", schema: "inference", defaultHTTPPort: 8083)

    static func main() async {
        await ServiceRuntime.main(descriptor)
    }
}
