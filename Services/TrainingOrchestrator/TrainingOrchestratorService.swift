import IntelliCoreServiceKit

/// The `training-orchestrator` executable: turns sealed dataset versions into trained, registered
/// and deployable model versions. It keeps the training data (every row of a dataset version,
/// stored once), queues and trains jobs on BLAS with checkpoints, tracks runs, numbers versions,
/// moves aliases (by command, by validation gate, back by rollback) and publishes every decision.
@main
enum TrainingOrchestratorService {
    static let descriptor = ServiceDescriptor(name: "training-orchestrator", schema: "training", defaultHTTPPort: 8082,
                                              migrations: TrainingMigrations.all, usesOutbox: true)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: TrainingSettings.self, build: build)
    }
}
