import IntelliCoreServiceKit

/// The `training-orchestrator` executable: turns sealed dataset versions into trained, registered
/// model versions. Today it keeps the training data: every dataset version's validated rows,
/// stored once each, so that a job reads its data locally.
@main
enum TrainingOrchestratorService {
    static let descriptor = ServiceDescriptor(name: "training-orchestrator", schema: "training", defaultHTTPPort: 8082,
                                              migrations: TrainingMigrations.all, usesOutbox: true)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: TrainingSettings.self, build: build)
    }
}
