import IntelliCoreServiceKit

/// The `monitoring` executable.
@main
enum MonitoringService {
    static let descriptor = ServiceDescriptor(name: "monitoring", schema: "monitoring", defaultHTTPPort: 8084)

    static func main() async {
        await ServiceRuntime.main(descriptor)
    }
}
