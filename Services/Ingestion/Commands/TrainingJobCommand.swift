import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// `POST /v1/commands/training-jobs`: what to train, on which data, and the gate that may deploy it.
struct TrainingJobCommand: ClosedJSONObject {
    struct Gate: ClosedJSONObject {
        let metric: String
        let higherIsBetter: Bool?
        let threshold: Double
        let mustBeatChampion: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case metric, higherIsBetter = "higher_is_better", threshold, mustBeatChampion = "must_beat_champion"
        }
        static let fields = fieldNames(CodingKeys.self)
    }

    let modelName: String
    let datasetId: String
    let datasetVersion: Int?
    let algorithm: String
    let target: String
    let features: [String]?
    let hyperparameters: [String: JSONValue]?
    let priority: Int?
    let deadline: String?
    let validationGate: Gate?
    let retrainOnDrift: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case modelName = "model_name", datasetId = "dataset_id", datasetVersion = "dataset_version", algorithm, target, features
        case hyperparameters, priority, deadline, validationGate = "validation_gate", retrainOnDrift = "retrain_on_drift"
    }
    static let fields = fieldNames(CodingKeys.self)

    static let priorities = 0...9
    static let defaultPriority = 5

    /// The event, or a 422 naming the first field that is wrong.
    func validated(jobId: String, tenant: String, now: Date = Date()) throws -> TrainingRequested {
        guard let algorithm = TrainingAlgorithm(rawValue: algorithm) else {
            throw CommandText.invalid("algorithm", "must be one of \(TrainingAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let datasetVersion, datasetVersion < 1 { throw CommandText.invalid("dataset_version", "must be 1 or more") }
        let target = try CommandText.column(target, field: "target")
        if let features {
            guard !features.isEmpty, features.count <= 10_000 else { throw CommandText.invalid("features", "must list 1 to 10,000 columns") }
            for (index, feature) in features.enumerated() { _ = try CommandText.column(feature, field: "features[\(index)]") }
            guard Set(features).count == features.count else { throw CommandText.invalid("features", "must not repeat a column") }
            guard !features.contains(target) else { throw CommandText.invalid("features", "must not contain the target \(target)") }
        }
        for (name, value) in hyperparameters ?? [:] {
            guard let parameter = Hyperparameter(rawValue: name) else {
                throw APIError.unprocessable("hyperparameters.\(name) is not a hyperparameter; they are "
                                             + Hyperparameter.allCases.map(\.rawValue).joined(separator: ", "),
                                             code: "unknown_field", details: ["field": "hyperparameters.\(name)"])
            }
            if let problem = parameter.problem(with: value) { throw CommandText.invalid("hyperparameters.\(name)", problem) }
        }
        let priority = priority ?? Self.defaultPriority
        guard Self.priorities.contains(priority) else { throw CommandText.invalid("priority", "must be from 0 to 9 (higher runs first)") }
        var deadlineDate: Date?
        if let deadline {
            guard let date = EventCodec.parseTime(deadline) else { throw CommandText.invalid("deadline", "must be an RFC 3339 time") }
            guard date > now else { throw CommandText.invalid("deadline", "must be in the future") }
            deadlineDate = date
        }
        var gate: ValidationGate?
        if let validationGate {
            guard let metric = ModelMetric(rawValue: validationGate.metric) else {
                throw CommandText.invalid("validation_gate.metric", "must be one of \(ModelMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard validationGate.threshold.isFinite else { throw CommandText.invalid("validation_gate.threshold", "must be a finite number") }
            gate = ValidationGate(metric: metric.rawValue, higherIsBetter: validationGate.higherIsBetter ?? metric.higherIsBetter,
                                  threshold: validationGate.threshold, mustBeatChampion: validationGate.mustBeatChampion ?? true)
        }
        return TrainingRequested(
            jobId: jobId, tenantId: tenant, modelName: try CommandText.name(modelName, field: "model_name"),
            datasetId: try CommandText.name(datasetId, field: "dataset_id"), datasetVersion: datasetVersion, algorithm: algorithm.rawValue,
            target: target, features: features, hyperparameters: hyperparameters ?? [:], priority: priority, deadline: deadlineDate,
            validationGate: gate, retrainOnDrift: retrainOnDrift)
    }
}

/// `POST /v1/commands/training-jobs/{job}/cancel`; the body may be empty.
struct CancelCommand: ClosedJSONObject {
    let reason: String?
    static let fields: Set<String> = ["reason"]
}

/// `POST /v1/commands/models/{model}/rollback`; the body may be empty (champion, no reason).
struct RollbackCommand: ClosedJSONObject {
    let alias: String?
    let reason: String?
    static let fields: Set<String> = ["alias", "reason"]
}
