import Foundation
import IntelliCoreEvents
import IntelliCoreModels

/// A version's training baseline, feature by feature, in the order of its input schema.
struct VersionBaseline: Sendable {
    struct Feature: Sendable {
        let name: String
        /// The feature's column in a raw input row.
        let column: Int
        let categorical: Bool
        let edges: [Double]
        let fractions: [Double]
    }

    let features: [Feature]
    let width: Int

    /// The features of `schema` that the baseline has a histogram for.
    init(schema: InputSchema, baseline: [FeatureBaseline]) {
        let byName = Dictionary(baseline.map { ($0.feature, $0) }, uniquingKeysWith: { first, _ in first })
        features = schema.features.enumerated().compactMap { column, spec in
            guard let found = byName[spec.name], found.bucketFractions.count == found.bucketEdges.count + 1 else { return nil }
            var categorical = false
            if case .oneHot = spec.preprocessing { categorical = true }
            return Feature(name: spec.name, column: column, categorical: categorical, edges: found.bucketEdges, fractions: found.bucketFractions)
        }
        width = schema.rawWidth
    }
}

/// The live input histograms of one version over the drift window, on the baseline's buckets,
/// in 10-second slots.
struct DriftTracker: Sendable {
    static let slotSeconds = 10

    let baseline: VersionBaseline
    private let offsets: [Int]
    private let bucketTotal: Int
    private var slots: [(period: Int64, rows: Int, counts: [Int])]

    init(baseline: VersionBaseline, windowSeconds: Int) {
        self.baseline = baseline
        var offsets: [Int] = [], total = 0
        for feature in baseline.features {
            offsets.append(total)
            total += feature.fractions.count
        }
        self.offsets = offsets
        bucketTotal = total
        slots = Array(repeating: (Int64.min, 0, []), count: max(1, windowSeconds / Self.slotSeconds))
    }

    /// Adds `rows` raw input rows (row-major, the schema's width) seen at `time`.
    mutating func add(rows: Int, values: [Float], at time: Double) {
        guard values.count == rows * baseline.width else { return }
        let period = Int64(time.rounded(.down)) / Int64(Self.slotSeconds)
        let index = Int(period % Int64(slots.count))
        if slots[index].period != period { slots[index] = (period, 0, [Int](repeating: 0, count: bucketTotal)) }
        for row in 0..<rows {
            for (position, feature) in baseline.features.enumerated() {
                let value = Double(values[row * baseline.width + feature.column])
                guard !value.isNaN else { continue }
                slots[index].counts[offsets[position] + FeatureBaseline.bucket(of: value, edges: feature.edges)] += 1
            }
        }
        slots[index].rows += rows
    }

    /// Every feature's statistics over the window ending at `now`, against `thresholds`.
    func report(now: Double, thresholds: DriftThresholds) -> DriftReport {
        let current = Int64(now.rounded(.down)) / Int64(Self.slotSeconds), oldest = current - Int64(slots.count) + 1
        var counts = [Int](repeating: 0, count: bucketTotal), rows = 0, start = current
        for slot in slots where slot.period >= oldest && slot.period <= current {
            rows += slot.rows
            start = min(start, slot.period)
            for index in counts.indices { counts[index] += slot.counts[index] }
        }
        var scores: [FeatureDriftScore] = []
        for (position, feature) in baseline.features.enumerated() {
            let live = DriftStatistics.fractions(Array(counts[offsets[position]..<(offsets[position] + feature.fractions.count)]))
            let limits = thresholds.limits(for: feature.name)
            // No rows in the window: nothing to compare, nothing drifted.
            guard rows > 0 else {
                scores.append(FeatureDriftScore(feature: feature.name, psi: 0, ks: feature.categorical ? nil : 0, js: feature.categorical ? 0 : nil,
                                                drifted: false))
                continue
            }
            let psi = DriftStatistics.psi(live: live, baseline: feature.fractions)
            var drifted = psi >= limits.psi
            var ks: Double?, js: Double?
            if feature.categorical {
                js = DriftStatistics.jsDistance(live: live, baseline: feature.fractions)
                drifted = drifted || js! >= limits.js
            } else {
                ks = DriftStatistics.ks(live: live, baseline: feature.fractions)
                drifted = drifted || ks! >= limits.ks
            }
            scores.append(FeatureDriftScore(feature: feature.name, psi: psi, ks: ks, js: js, drifted: drifted))
        }
        let drifted = scores.filter(\.drifted).count
        let share = scores.isEmpty ? 0 : Double(drifted) / Double(scores.count)
        return DriftReport(rows: rows, windowStart: Date(timeIntervalSince1970: Double(start * Int64(Self.slotSeconds))),
                           windowEnd: Date(timeIntervalSince1970: now), scores: scores, driftedShare: share,
                           datasetDrift: drifted > 0 && share >= thresholds.share)
    }
}

/// One drift evaluation of a version's live inputs.
struct DriftReport: Sendable, Codable {
    let rows: Int
    let windowStart: Date
    let windowEnd: Date
    let scores: [FeatureDriftScore]
    let driftedShare: Double
    let datasetDrift: Bool
}
