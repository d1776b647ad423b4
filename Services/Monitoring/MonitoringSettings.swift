import IntelliCoreServiceKit

/// Monitoring's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `MONITORING_POLL_BATCH` | 2000: prediction records applied per batch |
/// | `MONITORING_INPUT_SAMPLE_RATE` | 0.25: share of requests whose inputs are compared with the baseline (every n-th request; answers are never sampled) |
/// | `MONITORING_DEDUPE_SECONDS` | 30: how long a `ce_id` is remembered to count a re-sent event once |
/// | `MONITORING_FEEDBACK_CAPACITY` | 1000000: answers remembered for joining feedback to them |
/// | `MONITORING_EVALUATE_SECONDS` | 5: how often objectives and drift are judged |
/// | `MONITORING_ALERT_WINDOW_SECONDS` | 60: the window latency, error rate and live accuracy are judged over (10–300) |
/// | `MONITORING_MIN_ANSWERS` | 50: answers in the alert window before latency or error rate is judged |
/// | `MONITORING_MIN_FEEDBACK` | 20: feedback in the alert window before live accuracy or MAE is judged |
/// | `MONITORING_DRIFT_WINDOW_SECONDS` | 300: the window live inputs are compared over (10–3600) |
/// | `MONITORING_DRIFT_MIN_ROWS` | 500: sampled input rows in the drift window before drift is judged |
/// | `MONITORING_LATENCY_P95_SECONDS` | 1.0: default latency objective |
/// | `MONITORING_ERROR_RATE` | 0.05: default error-rate objective |
/// | `MONITORING_MIN_ACCURACY`, `MONITORING_MAX_MAE` | none: default live-quality objectives |
/// | `MONITORING_DRIFT_PSI`, `_KS`, `_JS`, `_SHARE` | 0.2, 0.1, 0.1, 0.5: default drift thresholds |
struct MonitoringSettings: ServiceSettings {
    var pollBatch: Int
    var sampleEvery: Int
    var dedupeSeconds: Int
    var feedbackCapacity: Int
    var evaluateSeconds: Int
    var alertWindowSeconds: Int
    var minAnswers: Int
    var minFeedback: Int
    var driftWindowSeconds: Int
    var driftMinRows: Int
    /// The platform's default objectives; a model's own override them.
    var objectives: ModelObjectives

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        pollBatch = try reader.integer("MONITORING_POLL_BATCH", default: 2000, range: 1...50_000)
        let rate = try reader.number("MONITORING_INPUT_SAMPLE_RATE", default: 0.25, range: 0.0001...1)
        sampleEvery = max(1, Int((1 / rate).rounded()))
        dedupeSeconds = try reader.integer("MONITORING_DEDUPE_SECONDS", default: 30, range: 1...3600)
        feedbackCapacity = try reader.integer("MONITORING_FEEDBACK_CAPACITY", default: 1_000_000, range: 1...100_000_000)
        evaluateSeconds = try reader.integer("MONITORING_EVALUATE_SECONDS", default: 5, range: 1...3600)
        alertWindowSeconds = try reader.integer("MONITORING_ALERT_WINDOW_SECONDS", default: 60, range: 10...300)
        minAnswers = try reader.integer("MONITORING_MIN_ANSWERS", default: 50, range: 1...1_000_000)
        minFeedback = try reader.integer("MONITORING_MIN_FEEDBACK", default: 20, range: 1...1_000_000)
        driftWindowSeconds = try reader.integer("MONITORING_DRIFT_WINDOW_SECONDS", default: 300, range: 10...3600)
        driftMinRows = try reader.integer("MONITORING_DRIFT_MIN_ROWS", default: 500, range: 1...100_000_000)
        var objectives = ModelObjectives()
        objectives.latencyP95Seconds = try reader.number("MONITORING_LATENCY_P95_SECONDS", default: 1.0, range: 0.000_001...3600)
        objectives.errorRate = try reader.number("MONITORING_ERROR_RATE", default: 0.05, range: 0...1)
        if reader.optionalString("MONITORING_MIN_ACCURACY") != nil {
            objectives.minAccuracy = try reader.number("MONITORING_MIN_ACCURACY", default: 0, range: 0...1)
        }
        if reader.optionalString("MONITORING_MAX_MAE") != nil {
            objectives.maxMae = try reader.number("MONITORING_MAX_MAE", default: 0, range: 0...Double.greatestFiniteMagnitude)
        }
        objectives.drift = DriftThresholds(psi: try reader.number("MONITORING_DRIFT_PSI", default: 0.2, range: 0.000_001...100),
                                           ks: try reader.number("MONITORING_DRIFT_KS", default: 0.1, range: 0.000_001...1),
                                           js: try reader.number("MONITORING_DRIFT_JS", default: 0.1, range: 0.000_001...1),
                                           datasetShare: try reader.number("MONITORING_DRIFT_SHARE", default: 0.5, range: 0.000_001...1))
        self.objectives = objectives
    }
}
