import ArgumentParser
import Foundation
import IntelliCoreEvents

/// Submits a training job through the gateway and follows it on the training orchestrator.
struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model version on a dataset and follow the job live: a bar per epoch with its metrics, then the final metrics.")

    @Argument(help: "The model's name (a new version of it is registered).") var model: String
    @Option(help: "The dataset (name or id).") var dataset: String
    @Option(help: "A sealed version of the dataset (default: the latest).") var datasetVersion: Int?
    @Option(help: "linear_regression, ridge, logistic_regression, softmax_regression or mlp.") var algorithm: String
    @Option(help: "The target column (default: the dataset's).") var target: String?
    @Option(help: "Epochs (a hyperparameter).") var epochs: Int?
    @Option(name: .customLong("param"), help: "A hyperparameter as name=value, the value as JSON (hidden_layers=[32,16], learning_rate=0.01); repeatable.")
    var parameters: [String] = []
    @Option(help: "Priority 0–9.") var priority: Int?
    @Option(help: "Deploy as champion only if this validation metric (accuracy, f1, roc_auc, r2, mse, mae, log_loss…) passes --gate-threshold and beats the champion.")
    var gateMetric: String?
    @Option(help: "The gate's threshold.") var gateThreshold: Double?
    @Flag(help: "Retrain this job when monitoring reports dataset drift on the model.") var retrainOnDrift = false
    @Flag(help: "Return once the job is accepted instead of following it.") var noFollow = false
    @OptionGroup var connection: Connection

    func run() async throws {
        let key = try connection.apiKey()
        let client = connection.client
        let found = try await Datasets.resolve(dataset, client: client, key: key)
        var hyperparameters: [String: JSONValue] = [:]
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: "=") else { throw ValidationError("--param \(parameter): write name=value") }
            let text = String(parameter[parameter.index(after: equals)...])
            hyperparameters[String(parameter[..<equals])] = JSONValue.parse(Data(text.utf8)) ?? .string(text)
        }
        if let epochs { hyperparameters["epochs"] = .number(Double(epochs)) }
        var body: [String: JSONValue] = ["model_name": .string(model), "dataset_id": found["dataset_id"] ?? .string(dataset),
                                         "algorithm": .string(algorithm), "hyperparameters": .object(hyperparameters)]
        if let target = target ?? found["schema"]?["target"]?.string { body["target"] = .string(target) }
        if let datasetVersion { body["dataset_version"] = .number(Double(datasetVersion)) }
        if let priority { body["priority"] = .number(Double(priority)) }
        if let gateMetric {
            guard let gateThreshold else { throw ValidationError("--gate-metric needs --gate-threshold") }
            body["validation_gate"] = .object(["metric": .string(gateMetric), "threshold": .number(gateThreshold)])
        }
        if retrainOnDrift { body["retrain_on_drift"] = true }
        let accepted = try await client.call("POST", .gateway, "/v1/commands/training-jobs", key: key, body: .object(body))
        guard let job = accepted["job_id"]?.string else { throw CLIError(.unavailable, "the gateway accepted the job without an id: \(accepted)") }
        if noFollow {
            return Terminal.line(connection.json ? accepted.pretty() : "job \(job) accepted; follow it: intellicore train … or GET /v1/training/jobs/\(job)")
        }
        if !connection.json { Terminal.line("job \(Terminal.styled(job, .bold)): \(algorithm) on \(Format.cell(found["name"])) → model \(model)") }
        let final = try await Self.follow(job: job, client: client, key: key, quiet: connection.json)
        let version = try await Self.registeredVersion(of: final, client: client, key: key)
        if connection.json {
            Terminal.line(JSONValue.object(["job": final, "version": version ?? .null]).pretty())
        } else {
            Self.summarise(final, version: version)
        }
        try Self.requireCompleted(final)
    }

    /// Polls the job on the orchestrator until it ends, drawing epochs as they pass.
    static func follow(job: String, client: PlatformClient, key: String, quiet: Bool = false, timeout: Duration = .seconds(1800)) async throws -> JSONValue {
        let bar = quiet ? nil : ProgressBar("  training", total: nil, unit: "epochs")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            // The orchestrator learns of the job from Kafka: a 404 means "not yet".
            if let state = try? await client.call("GET", .training, "/v1/training/jobs/\(job.pathSegment)", key: key) {
                let status = state["status"]?.string ?? ""
                if let epoch = state["epoch"]?.int, let epochs = state["epochs"]?.int, epochs > 0 {
                    bar?.update(epoch, total: epochs, detail: Self.metricsLine(state["metrics"]))
                }
                if ["completed", "failed", "cancelled"].contains(status) {
                    let epoch = state["epoch"]?.int ?? 0, epochs = state["epochs"]?.int ?? 0
                    bar?.finish(detail: status + (status == "completed" && epoch < epochs ? ", stopped early at epoch \(epoch)" : ""))
                    return state
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CLIError(.failed, "job \(job) did not end within \(timeout)", hint: "see it: GET /v1/training/jobs/\(job) on the training orchestrator")
    }

    static func metricsLine(_ metrics: JSONValue?) -> String {
        let fields = metrics?.object ?? [:]
        let shown = ["loss", "val_loss", "accuracy", "f1", "r2", "mae"].filter { fields[$0] != nil }
        return shown.map { "\($0) \(Format.cell(fields[$0]))" }.joined(separator: " · ")
    }

    /// The version a completed job registered, with the metrics of the epoch it kept (early
    /// stopping restores the best one), or nil.
    static func registeredVersion(of job: JSONValue, client: PlatformClient, key: String) async throws -> JSONValue? {
        guard job["status"]?.string == "completed", let version = job["version"]?.int, let model = job["model_name"]?.string else { return nil }
        return try await client.call("GET", .training, "/v1/training/models/\(model.pathSegment)/versions/\(version)", key: key)
    }

    static func summarise(_ job: JSONValue, version: JSONValue?) {
        let status = job["status"]?.string ?? ""
        let metrics = (version?["metrics"] ?? job["metrics"])?.object ?? [:]
        Table(["metric", "value"], rows: metrics.keys.sorted().map { [$0, Format.cell(metrics[$0])] }).print()
        switch status {
        case "completed":
            Terminal.line(Terminal.styled("completed", .green) + ": version \(Format.cell(job["version"])) registered"
                          + (metrics["best_epoch"].map { " with the weights of epoch \(Format.cell($0))" } ?? ""))
        default:
            Terminal.line(Terminal.styled(status, .red) + (job["reason"]?.string.map { ": \($0)" } ?? ""))
        }
    }

    static func requireCompleted(_ job: JSONValue) throws {
        guard job["status"]?.string == "completed" else {
            throw CLIError(.failed, "job \(Format.cell(job["job_id"])) \(Format.cell(job["status"])): \(Format.cell(job["reason"]))",
                           hint: "the reason says what to change; resubmit with `intellicore train`")
        }
    }
}
