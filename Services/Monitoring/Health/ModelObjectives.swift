import IntelliCoreServiceKit

/// What a model must hold to be healthy, and when its inputs count as drifted. Every field has
/// a platform default (settings); a model's own objectives (`PUT …/objectives`) override them,
/// drift thresholds also per feature.
struct ModelObjectives: Codable, Sendable, Equatable, ClosedJSONObject {
    /// p95 of request-to-answer latency over the alert window, seconds.
    var latencyP95Seconds: Double?
    /// Failed answers / all answers over the alert window.
    var errorRate: Double?
    /// Live accuracy from feedback (classifiers); nil: not judged.
    var minAccuracy: Double?
    /// Live mean absolute error from feedback (regressors); nil: not judged.
    var maxMae: Double?
    var drift: DriftThresholds?

    /// Spelled out as clients write them (the API reads bodies without a key strategy).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case latencyP95Seconds = "latency_p95_seconds", errorRate = "error_rate", minAccuracy = "min_accuracy", maxMae = "max_mae", drift
    }

    static let fields = fieldNames(CodingKeys.self)

    /// Checks the values a person sent; the message names the field.
    func validate() throws(APIError) {
        for (name, value) in [("latency_p95_seconds", latencyP95Seconds), ("error_rate", errorRate), ("min_accuracy", minAccuracy),
                              ("max_mae", maxMae)] {
            if let value, !(value.isFinite && value >= 0) { throw APIError.unprocessable("\(name) must be a number ≥ 0", code: "invalid_objective") }
        }
        if let rate = errorRate, rate > 1 { throw APIError.unprocessable("error_rate is a share from 0 to 1", code: "invalid_objective") }
        if let accuracy = minAccuracy, accuracy > 1 { throw APIError.unprocessable("min_accuracy is a share from 0 to 1", code: "invalid_objective") }
        try drift?.validate()
    }

    /// These objectives, with `defaults` where they say nothing.
    func over(_ defaults: ModelObjectives) -> ModelObjectives {
        ModelObjectives(latencyP95Seconds: latencyP95Seconds ?? defaults.latencyP95Seconds, errorRate: errorRate ?? defaults.errorRate,
                        minAccuracy: minAccuracy ?? defaults.minAccuracy, maxMae: maxMae ?? defaults.maxMae,
                        drift: (drift ?? DriftThresholds()).over(defaults.drift ?? DriftThresholds()))
    }
}

/// Drift thresholds: a feature drifted when its PSI, or its KS (numeric) or JS distance
/// (categorical), reaches its threshold; the dataset drifted when the share of drifted features
/// reaches `dataset_share`.
struct DriftThresholds: Codable, Sendable, Equatable {
    struct Limits: Codable, Sendable, Equatable {
        var psi: Double?
        var ks: Double?
        var js: Double?
    }

    var psi: Double?
    var ks: Double?
    var js: Double?
    var datasetShare: Double?
    /// Per-feature overrides.
    var features: [String: Limits]?

    enum CodingKeys: String, CodingKey {
        case psi, ks, js, datasetShare = "dataset_share", features
    }

    static let standard = DriftThresholds(psi: 0.2, ks: 0.1, js: 0.1, datasetShare: 0.5)

    func limits(for feature: String) -> (psi: Double, ks: Double, js: Double) {
        let own = features?[feature]
        return (own?.psi ?? psi ?? Self.standard.psi!, own?.ks ?? ks ?? Self.standard.ks!, own?.js ?? js ?? Self.standard.js!)
    }

    var share: Double { datasetShare ?? Self.standard.datasetShare! }

    func over(_ defaults: DriftThresholds) -> DriftThresholds {
        DriftThresholds(psi: psi ?? defaults.psi, ks: ks ?? defaults.ks, js: js ?? defaults.js, datasetShare: datasetShare ?? defaults.datasetShare,
                        features: features ?? defaults.features)
    }

    func validate() throws(APIError) {
        var values: [(String, Double?)] = [("drift.psi", psi), ("drift.ks", ks), ("drift.js", js)]
        for (name, limits) in features ?? [:] {
            values += [("drift.features.\(name).psi", limits.psi), ("drift.features.\(name).ks", limits.ks), ("drift.features.\(name).js", limits.js)]
        }
        for (name, value) in values {
            if let value, !(value.isFinite && value > 0) { throw APIError.unprocessable("\(name) must be a number > 0", code: "invalid_objective") }
        }
        if let share = datasetShare, !(share > 0 && share <= 1) {
            throw APIError.unprocessable("drift.dataset_share is a share above 0 and at most 1", code: "invalid_objective")
        }
    }
}
