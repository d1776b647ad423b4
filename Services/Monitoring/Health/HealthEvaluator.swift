import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit
import Metrics
import Synchronization

/// Judges every model version with traffic against its objectives, each `MONITORING_EVALUATE_SECONDS`:
/// latency p95, error rate, live accuracy or MAE over the alert window, and input drift over the
/// drift window. A condition that starts to hold publishes its alert once
/// (`ModelPerformanceDegraded`, or `DataDriftDetected` for drift) and is remembered as active in
/// PostgreSQL, in the same transaction as the alert's outbox row; it fires again only after it
/// cleared. A change of the version's health publishes `ModelHealthChanged` with its score and
/// reasons. A condition with too little data to judge keeps its state.
final class HealthEvaluator: Sendable {
    let context: ServiceContext
    let live: LiveMetrics
    let catalog: ModelCatalog
    let store: CatalogStore
    let alerts: AlertStore
    let feed: DashboardFeed
    let settings: MonitoringSettings
    private let known = Mutex<[MonitoredVersion: Set<String>]>([:])
    /// Completed evaluations: a stalled evaluator shows as a flat line.
    private let evaluations = Counter(label: "intellicore_monitoring_evaluations_total")

    init(context: ServiceContext, live: LiveMetrics, catalog: ModelCatalog, store: CatalogStore, alerts: AlertStore, feed: DashboardFeed,
         settings: MonitoringSettings) {
        self.context = context
        self.live = live
        self.catalog = catalog
        self.store = store
        self.alerts = alerts
        self.feed = feed
        self.settings = settings
    }

    /// What one condition measured: whether it holds (nil: too little data to say), the value and the limit.
    struct Finding: Sendable {
        let condition: String
        let holds: Bool?
        let value: Double
        let threshold: Double
    }

    func run() async throws {
        let now = Date().timeIntervalSince1970
        let own = try await store.allObjectives(client: context.postgres, logger: context.logger)
        for version in live.versions(now: now) where !version.version.isEmpty {
            let objectives = (own[version.tenant]?[version.model] ?? ModelObjectives()).over(settings.objectives)
            let (findings, drift) = evaluate(version, objectives: objectives, now: now)
            if let drift {
                feed.publish("drift", tenant: version.tenant, DriftFeed(modelName: version.model, modelVersion: version.version, report: drift))
                for score in drift.scores {
                    Gauge(label: "intellicore_monitoring_drift_psi", dimensions: [("model", version.model), ("version", version.version),
                                                                                 ("feature", score.feature)]).record(score.psi)
                }
            }
            try await apply(findings, drift: drift, thresholds: objectives.drift ?? .standard, to: version, now: now)
        }
        evaluations.increment()
    }

    func evaluate(_ version: MonitoredVersion, objectives: ModelObjectives, now: Double) -> ([Finding], DriftReport?) {
        var findings: [Finding] = []
        if let slot = live.window(version, seconds: settings.alertWindowSeconds, now: now) {
            let failed = slot.failures.values.reduce(0, +), total = slot.answers + failed
            if let limit = objectives.latencyP95Seconds {
                let p95 = slot.latency.quantile(0.95)
                findings.append(Finding(condition: "latency", holds: slot.latency.count >= settings.minAnswers ? p95.map { $0 > limit } : nil,
                                        value: p95 ?? 0, threshold: limit))
            }
            if let limit = objectives.errorRate {
                let rate = total > 0 ? Double(failed) / Double(total) : 0
                findings.append(Finding(condition: "error_rate", holds: total >= settings.minAnswers ? rate > limit : nil, value: rate, threshold: limit))
            }
            let classified = slot.feedback.count - slot.feedback.regression
            if let limit = objectives.minAccuracy, classified > 0 || slot.feedback.count == 0 {
                let accuracy = classified > 0 ? Double(slot.feedback.correct) / Double(classified) : 0
                findings.append(Finding(condition: "accuracy", holds: classified >= settings.minFeedback ? accuracy < limit : nil,
                                        value: accuracy, threshold: limit))
            }
            if let limit = objectives.maxMae, slot.feedback.regression > 0 {
                let mae = slot.feedback.absoluteError / Double(slot.feedback.regression)
                findings.append(Finding(condition: "mae", holds: slot.feedback.regression >= settings.minFeedback ? mae > limit : nil,
                                        value: mae, threshold: limit))
            }
            if classified > 0 {
                Gauge(label: "intellicore_monitoring_live_accuracy", dimensions: [("model", version.model), ("version", version.version)])
                    .record(Double(slot.feedback.correct) / Double(classified))
            }
        }
        let thresholds = objectives.drift ?? DriftThresholds.standard
        let report = live.drift(version, now: now, thresholds: thresholds)
        if let report {
            let drifted = report.scores.filter(\.drifted).count
            // Two episodes: a feature drifted (value the drifted share, threshold the share of one
            // feature), and the dataset drifted (the share reached the model's limit) — the one the
            // orchestrator retrains on, so drift that spreads after it began still reaches it.
            let judged = report.rows >= settings.driftMinRows
            findings.append(Finding(condition: "drift", holds: judged ? drifted > 0 : nil,
                                    value: report.driftedShare, threshold: report.scores.isEmpty ? 1 : 1 / Double(report.scores.count)))
            findings.append(Finding(condition: "dataset_drift", holds: judged ? report.datasetDrift : nil, value: report.driftedShare,
                                    threshold: thresholds.share))
        }
        return (findings, report)
    }

    /// Publishes what changed since the last evaluation, in one transaction for the version.
    private func apply(_ findings: [Finding], drift: DriftReport?, thresholds: DriftThresholds, to version: MonitoredVersion,
                       now: Double) async throws {
        let cached = known.withLock { $0[version] }
        let judged = findings.filter { $0.holds != nil }
        if let cached {
            let changes = judged.filter { ($0.holds == true) != cached.contains($0.condition) }
            guard !changes.isEmpty else { return }
        }
        let windowEnd = Date(timeIntervalSince1970: now)
        let published = try await context.transaction { transaction -> (Set<String>, [AlertStore.Alert], HealthState?) in
            var active = try await alerts.active(version, on: transaction.connection, logger: transaction.logger)
            var raised: [AlertStore.Alert] = []
            var driftRaised = false
            for finding in judged where (finding.holds == true) != active.contains(finding.condition) {
                let holds = finding.holds == true
                var detail: JSONValue?
                if holds, Self.driftConditions.contains(finding.condition), let drift {
                    detail = .array(drift.scores.filter(\.drifted).map { .string($0.feature) })
                    driftRaised = true
                } else if holds {
                    let start = windowEnd.addingTimeInterval(-Double(settings.alertWindowSeconds))
                    let severity: AlertSeverity = finding.condition == "error_rate" && finding.value >= 2 * finding.threshold ? .critical : .warning
                    try await transaction.publish(ModelPerformanceDegraded(modelName: version.model, modelVersion: version.version,
                                                                           metric: finding.condition, value: finding.value,
                                                                           baseline: finding.threshold, threshold: finding.threshold,
                                                                           windowStart: start, windowEnd: windowEnd, severity: severity),
                                                  key: version.model, subject: version.model, tenantId: version.tenant)
                }
                raised.append(try await alerts.change(version, condition: finding.condition, active: holds, value: finding.value,
                                                      threshold: finding.threshold, detail: detail, on: transaction.connection,
                                                      logger: transaction.logger))
                if holds { active.insert(finding.condition) } else { active.remove(finding.condition) }
            }
            // One DataDriftDetected per evaluation that starts an episode, saying whether the
            // dataset drifted too.
            if driftRaised, let drift {
                try await transaction.publish(Self.driftEvent(version, drift, thresholds: thresholds), key: version.model,
                                              subject: version.model, tenantId: version.tenant)
            }
            let health = HealthState(active: active, findings: findings)
            let previous = try await alerts.health(version, on: transaction.connection, logger: transaction.logger)
            var changed: HealthState?
            if previous != health.health {
                try await alerts.setHealth(version, health.health, score: health.score, reasons: health.reasons, on: transaction.connection,
                                           logger: transaction.logger)
                if previous != nil || health.health != .healthy {
                    try await transaction.publish(ModelHealthChanged(modelName: version.model, modelVersion: version.version,
                                                                     previous: previous ?? .unknown, current: health.health,
                                                                     reason: health.reasons.first ?? "every objective holds",
                                                                     score: health.score, reasons: health.reasons),
                                                  key: version.model, subject: version.model, tenantId: version.tenant)
                    changed = health
                }
            }
            return (active, raised, changed)
        }
        known.withLock { $0[version] = published.0 }
        for alert in published.1 { feed.publish("alert", tenant: version.tenant, alert) }
        if let health = published.2 {
            feed.publish("health", tenant: version.tenant, HealthFeed(modelName: version.model, modelVersion: version.version,
                                                                      health: health.health, score: health.score, reasons: health.reasons))
        }
        Gauge(label: "intellicore_monitoring_health_score", dimensions: [("model", version.model), ("version", version.version)])
            .record(HealthState(active: published.0, findings: findings).score)
    }

    static let driftConditions: Set<String> = ["drift", "dataset_drift"]

    static func driftEvent(_ version: MonitoredVersion, _ report: DriftReport, thresholds: DriftThresholds) -> DataDriftDetected {
        let worst = report.scores.filter(\.drifted).max { $0.psi < $1.psi } ?? report.scores.max { $0.psi < $1.psi }
        return DataDriftDetected(modelName: version.model, modelVersion: version.version, feature: worst?.feature ?? "", statistic: "psi",
                                 value: worst?.psi ?? 0, threshold: thresholds.limits(for: worst?.feature ?? "").psi, windowStart: report.windowStart, windowEnd: report.windowEnd,
                                 severity: report.datasetDrift ? .critical : .warning, scores: report.scores,
                                 driftedFeatures: report.scores.filter(\.drifted).map(\.feature), datasetDrift: report.datasetDrift,
                                 sampleCount: report.rows)
    }

    /// Health from the active conditions: each performance condition costs 0.35 of the score,
    /// drift 0.15; healthy with none active, degraded down to 0.5, failing below.
    struct HealthState: Sendable {
        let health: ModelHealth
        let score: Double
        let reasons: [String]

        init(active: Set<String>, findings: [Finding]) {
            var score = 1.0
            var reasons: [String] = []
            for finding in findings.sorted(by: { $0.condition < $1.condition }) where active.contains(finding.condition) {
                score -= driftConditions.contains(finding.condition) ? 0.15 : 0.35
                reasons.append(Self.describe(finding))
            }
            for condition in active.sorted() where !findings.contains(where: { $0.condition == condition }) {
                score -= driftConditions.contains(condition) ? 0.15 : 0.35
                reasons.append("\(condition) broke its objective")
            }
            self.score = max(0, score)
            self.reasons = reasons
            health = reasons.isEmpty ? .healthy : self.score >= 0.5 ? .degraded : .failing
        }

        static func describe(_ finding: Finding) -> String {
            switch finding.condition {
            case "latency": String(format: "latency p95 %.3f s is above %.3f s", finding.value, finding.threshold)
            case "error_rate": String(format: "error rate %.1f %% is above %.1f %%", finding.value * 100, finding.threshold * 100)
            case "accuracy": String(format: "live accuracy %.3f is below %.3f", finding.value, finding.threshold)
            case "mae": String(format: "live MAE %.4g is above %.4g", finding.value, finding.threshold)
            case "dataset_drift": String(format: "dataset drift: %.0f %% of the features drifted, the limit is %.0f %%", finding.value * 100,
                                         finding.threshold * 100)
            default: String(format: "input drift: %.0f %% of the features drifted", finding.value * 100)
            }
        }
    }

    struct DriftFeed: Encodable {
        let modelName: String
        let modelVersion: String
        let report: DriftReport
    }

    struct HealthFeed: Encodable {
        let modelName: String
        let modelVersion: String
        let health: ModelHealth
        let score: Double
        let reasons: [String]
    }
}
