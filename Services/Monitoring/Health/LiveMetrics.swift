import Foundation
import IntelliCoreEvents
import Metrics
import Synchronization

/// Every model version's rolling windows and live input histograms, in memory: the consumer
/// applies each polled batch under one lock; the API, the dashboard feed and the health
/// evaluator read merged windows. Windows cover what this process consumed (after a restart
/// they fill again from the consumer group's committed offsets).
final class LiveMetrics: Sendable {
    struct Counters: Sendable, Codable, Equatable {
        var duplicates = 0
        /// Older than the hour the windows keep.
        var late = 0
        var feedbackUnmatched = 0
        /// Sampled requests for a model version monitoring has no registration (or baseline) of.
        var inputsUnattributed = 0
        /// Failures naming a model monitoring does not know (no window is made for any name sent).
        var failuresUnknownModel = 0

        /// Each counter with its `reason` label in `intellicore_monitoring_records_skipped_total`.
        var byReason: [(String, Int)] {
            [("duplicate", duplicates), ("late", late), ("feedback_unmatched", feedbackUnmatched), ("inputs_unattributed", inputsUnattributed),
             ("unknown_model", failuresUnknownModel)]
        }
    }

    private struct State {
        var windows: [MonitoredVersion: ModelWindows] = [:]
        var drift: [MonitoredVersion: DriftTracker] = [:]
        var join: FeedbackJoin
        var dedupe: DuplicateFilter
        var counters = Counters()
    }

    let driftWindowSeconds: Int
    private let state: Mutex<State>
    private let prometheus = PrometheusSeries()

    init(dedupeSeconds: Int, feedbackCapacity: Int, driftWindowSeconds: Int) {
        self.driftWindowSeconds = driftWindowSeconds
        state = Mutex(State(join: FeedbackJoin(capacity: feedbackCapacity), dedupe: DuplicateFilter(horizon: dedupeSeconds)))
    }

    /// False when `eventId` was seen within the dedupe horizon (the record is then skipped).
    func firstSight(_ eventIds: [UInt64], at second: Int64) -> [Bool] {
        let (seen, before, after) = state.withLock { state in
            let before = state.counters
            let seen = eventIds.map { state.dedupe.firstSight($0, second: second) }
            state.counters.duplicates += seen.lazy.filter { !$0 }.count
            return (seen, before, state.counters)
        }
        prometheus.skipped(before, after)
        return seen
    }

    /// Counts records skipped before they reach the windows.
    func skip(_ change: (inout Counters) -> Void) {
        let (before, after) = state.withLock { state in
            let before = state.counters
            change(&state.counters)
            return (before, state.counters)
        }
        prometheus.skipped(before, after)
    }

    /// The windows of the version being written, taken out of the dictionary while a run of
    /// records of that version lasts (one lookup per run, not one per record).
    private struct Cursor {
        var version: MonitoredVersion?
        var windows = ModelWindows()

        mutating func move(to version: MonitoredVersion, in all: inout [MonitoredVersion: ModelWindows]) {
            guard version != self.version else { return }
            park(in: &all)
            windows = all.removeValue(forKey: version) ?? ModelWindows()
            self.version = version
        }

        mutating func park(in all: inout [MonitoredVersion: ModelWindows]) {
            if let version { all[version] = windows }
            version = nil
        }
    }

    /// Applies a batch of records; `baseline` gives the tracker of a version seen for the first time.
    func apply(_ records: [StreamRecord], now: Double, baseline: (MonitoredVersion) -> VersionBaseline?) {
        var served: [MonitoredVersion: (count: Int, latencies: [Double])] = [:]
        var failed: [MonitoredVersion: [String: Int]] = [:]
        let (before, after) = state.withLock { state in
            let before = state.counters
            var cursor = Cursor()
            var servedVersion: MonitoredVersion?, servedCount = 0, latencies: [Double] = []
            func flushServed() {
                guard let version = servedVersion else { return }
                served[version, default: (0, [])].count += servedCount
                served[version]!.latencies += latencies
                (servedVersion, servedCount) = (nil, 0)
                latencies.removeAll(keepingCapacity: true)
            }
            defer { flushServed() }
            for record in records {
                switch record {
                case .answer(let answer):
                    cursor.move(to: answer.version, in: &state.windows)
                    // One logarithm for the second's and the minute's sketch.
                    let bucket = answer.latency.map(LatencySketch.bucket)
                    let recorded = cursor.windows.record(at: answer.time, now: now) { slot in
                        guard !answer.shadow else {
                            slot.shadowAnswers += 1
                            return
                        }
                        slot.answers += 1
                        if let latency = answer.latency, let bucket { slot.latency.add(bucket: bucket, seconds: latency) }
                        for predicted in answer.classes { slot.predictions.addClass(predicted) }
                        for value in answer.values { slot.predictions.addValue(value) }
                    }
                    guard recorded else { state.counters.late += 1; continue }
                    cursor.windows.outputWidth = answer.columns
                    guard !answer.shadow else { continue }
                    state.join.remember(answer.requestId, FeedbackJoin.Answer(version: answer.version, predictedClass: answer.classes.first,
                                                                              predictedValue: answer.values.first))
                    if servedVersion != answer.version {
                        flushServed()
                        servedVersion = answer.version
                    }
                    servedCount += 1
                    if let latency = answer.latency { latencies.append(latency) }
                case .failure(let version, let code, let time):
                    cursor.move(to: version, in: &state.windows)
                    let recorded = cursor.windows.record(at: time, now: now) { $0.failures[code, default: 0] += 1 }
                    if recorded { failed[version, default: [:]][code, default: 0] += 1 } else { state.counters.late += 1 }
                case .inputs(let version, let rows, let values, let time):
                    if state.drift[version] == nil {
                        guard let found = baseline(version) else { state.counters.inputsUnattributed += 1; continue }
                        state.drift[version] = DriftTracker(baseline: found, windowSeconds: driftWindowSeconds)
                    }
                    state.drift[version]!.add(rows: rows, values: values, at: Swift.min(time, now))
                case .feedback(let requestId, let truth, let time):
                    guard let answer = state.join.answer(for: requestId) else { state.counters.feedbackUnmatched += 1; continue }
                    cursor.move(to: answer.version, in: &state.windows)
                    let recorded = cursor.windows.record(at: time, now: now) { slot in
                        slot.feedback.count += 1
                        if let predicted = answer.predictedClass, Int(exactly: truth) == predicted { slot.feedback.correct += 1 }
                        if let value = answer.predictedValue {
                            slot.feedback.regression += 1
                            slot.feedback.absoluteError += abs(value - truth)
                        }
                    }
                    if !recorded { state.counters.late += 1 }
                }
            }
            cursor.park(in: &state.windows)
            return (before, state.counters)
        }
        prometheus.record(served: served, failed: failed)
        prometheus.skipped(before, after)
    }

    /// The merged window of one version.
    func window(_ version: MonitoredVersion, seconds: Int, now: Double) -> MetricSlot? {
        state.withLock { $0.windows[version]?.window(seconds: seconds, now: now) }
    }

    /// The versions with traffic in the last hour, `tenant`'s only when given.
    func versions(tenant: String? = nil, now: Double) -> [MonitoredVersion] {
        state.withLock { state in
            state.windows.compactMap { version, windows in
                (tenant == nil || version.tenant == tenant) && !windows.isIdle(now: now) ? version : nil
            }
            + state.drift.keys.filter { (tenant == nil || $0.tenant == tenant) && state.windows[$0] == nil }
        }
    }

    /// The drift report of a version whose inputs were sampled; nil when none were.
    func drift(_ version: MonitoredVersion, now: Double, thresholds: DriftThresholds) -> DriftReport? {
        state.withLock { $0.drift[version]?.report(now: now, thresholds: thresholds) }
    }

    var counters: Counters { state.withLock { $0.counters } }
}

/// The per-version Prometheus series: answers and failures counted and latencies observed once
/// per batch and version (a counter per label set is made once; creating one is a registry lookup).
final class PrometheusSeries: Sendable {
    private struct Series {
        let answers: Counter
        let latency: Metrics.Timer
    }

    private let series = Mutex<[MonitoredVersion: Series]>([:])
    private let failures = Mutex<[MonitoredVersion: [String: Counter]]>([:])

    private let skippedCounters = Mutex<[String: Counter]>([:])

    /// Adds what the counters grew by to `intellicore_monitoring_records_skipped_total{reason}`.
    func skipped(_ before: LiveMetrics.Counters, _ after: LiveMetrics.Counters) {
        guard before != after else { return }
        for ((reason, old), (_, new)) in zip(before.byReason, after.byReason) where new > old {
            let counter = skippedCounters.withLock { counters in
                if let counter = counters[reason] { return counter }
                let counter = Counter(label: "intellicore_monitoring_records_skipped_total", dimensions: [("reason", reason)])
                counters[reason] = counter
                return counter
            }
            counter.increment(by: new - old)
        }
    }

    func record(served: [MonitoredVersion: (count: Int, latencies: [Double])], failed: [MonitoredVersion: [String: Int]]) {
        for (version, batch) in served {
            let found = series.withLock { series in
                if let found = series[version] { return found }
                let labels = [("model", version.model), ("version", version.version)]
                let made = Series(answers: Counter(label: "intellicore_monitoring_answers_total", dimensions: labels),
                                  latency: Metrics.Timer(label: "intellicore_monitoring_prediction_latency_seconds", dimensions: labels,
                                                         preferredDisplayUnit: .seconds))
                series[version] = made
                return made
            }
            found.answers.increment(by: batch.count)
            for latency in batch.latencies { found.latency.recordNanoseconds(Int64(latency * 1e9)) }
        }
        for (version, codes) in failed {
            for (code, count) in codes {
                let counter = failures.withLock { failures in
                    if let counter = failures[version]?[code] { return counter }
                    let counter = Counter(label: "intellicore_monitoring_failures_total",
                                          dimensions: [("model", version.model), ("version", version.version), ("code", code)])
                    failures[version, default: [:]][code] = counter
                    return counter
                }
                counter.increment(by: count)
            }
        }
    }
}
