import Foundation

/// A window of one model version as the API, the dashboard and the alerts read it.
struct WindowSummary: Codable, Sendable {
    struct Latency: Codable, Sendable {
        let p50: Double
        let p95: Double
        let p99: Double
        let mean: Double
    }

    struct Predictions: Codable, Sendable {
        /// Classifiers: answers per predicted class (index of the output column).
        let classCounts: [Int]?
        /// Regressors: the predicted values' moments.
        let mean: Double?
        let standardDeviation: Double?
        let minimum: Double?
        let maximum: Double?
    }

    let modelName: String
    let modelVersion: String
    let windowSeconds: Int
    let windowStart: Date
    let windowEnd: Date
    let answers: Int
    let failures: [String: Int]
    let shadowAnswers: Int
    let throughputPerSecond: Double
    let errorRate: Double?
    /// Request time to answer time, seconds, within 1 % (a mergeable sketch).
    let latencySeconds: Latency?
    let predictions: Predictions
    let feedback: Int
    let liveAccuracy: Double?
    let liveMae: Double?

    init(_ version: MonitoredVersion, _ slot: MetricSlot, seconds: Int, now: Double) {
        modelName = version.model
        modelVersion = version.version
        windowSeconds = seconds
        windowStart = Date(timeIntervalSince1970: now - Double(seconds))
        windowEnd = Date(timeIntervalSince1970: now)
        answers = slot.answers
        failures = slot.failures
        shadowAnswers = slot.shadowAnswers
        let failed = slot.failures.values.reduce(0, +)
        throughputPerSecond = Double(slot.answers + failed) / Double(seconds)
        errorRate = slot.answers + failed > 0 ? Double(failed) / Double(slot.answers + failed) : nil
        if let p50 = slot.latency.quantile(0.5), let p95 = slot.latency.quantile(0.95), let p99 = slot.latency.quantile(0.99),
           let mean = slot.latency.mean {
            latencySeconds = Latency(p50: p50, p95: p95, p99: p99, mean: mean)
        } else {
            latencySeconds = nil
        }
        let distribution = slot.predictions
        if distribution.values > 0 {
            let mean = distribution.sum / Double(distribution.values)
            let variance = max(0, distribution.sumOfSquares / Double(distribution.values) - mean * mean)
            predictions = Predictions(classCounts: nil, mean: mean, standardDeviation: variance.squareRoot(), minimum: distribution.minimum,
                                      maximum: distribution.maximum)
        } else {
            predictions = Predictions(classCounts: distribution.classCounts.isEmpty ? nil : distribution.classCounts, mean: nil,
                                      standardDeviation: nil, minimum: nil, maximum: nil)
        }
        feedback = slot.feedback.count
        let classified = slot.feedback.count - slot.feedback.regression
        liveAccuracy = classified > 0 ? Double(slot.feedback.correct) / Double(classified) : nil
        liveMae = slot.feedback.regression > 0 ? slot.feedback.absoluteError / Double(slot.feedback.regression) : nil
    }
}
