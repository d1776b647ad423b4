import IntelliCoreServiceKit

/// The `training-orchestrator` executable.
@main
enum TrainingOrchestratorService {
    static let descriptor = ServiceDescriptor(name: "training-orchestrator", schema: "training", defaultHTTPPort: 8082)

    static func main() async {
        await ServiceRuntime.main(descriptor)
    }
}
