import IntelliCoreServiceKit

/// The `billing` executable.
@main
enum BillingService {
    static let descriptor = ServiceDescriptor(name: "billing", schema: "billing", defaultHTTPPort: 8085)

    static func main() async {
        await ServiceRuntime.main(descriptor)
    }
}
