import Foundation

/// The distances between a live distribution and its training baseline, both given as bucket
/// fractions over the same buckets (the baseline's edges).
enum DriftStatistics {
    /// Fractions are floored here before logarithms, so that an empty bucket on one side gives
    /// a large but finite term (the usual PSI convention).
    static let floor = 1e-4

    /// Population stability index: Σ (live − base) · ln(live / base).
    static func psi(live: [Double], baseline: [Double]) -> Double {
        precondition(live.count == baseline.count, "PSI needs the same buckets on both sides")
        var total = 0.0
        for index in live.indices {
            let actual = Swift.max(live[index], floor), expected = Swift.max(baseline[index], floor)
            total += (actual - expected) * log(actual / expected)
        }
        return total
    }

    /// Kolmogorov–Smirnov statistic on the buckets: the largest gap between the two cumulative
    /// distributions at the bucket edges. Computed from histograms, it is a lower bound of the
    /// statistic on the raw values (a gap inside a bucket is not seen).
    static func ks(live: [Double], baseline: [Double]) -> Double {
        precondition(live.count == baseline.count, "KS needs the same buckets on both sides")
        var cumulativeLive = 0.0, cumulativeBase = 0.0, largest = 0.0
        for index in live.indices {
            cumulativeLive += live[index]
            cumulativeBase += baseline[index]
            largest = Swift.max(largest, abs(cumulativeLive - cumulativeBase))
        }
        return largest
    }

    /// Jensen–Shannon distance with base-2 logarithms: √JSD, from 0 (same) to 1 (disjoint).
    static func jsDistance(live: [Double], baseline: [Double]) -> Double {
        precondition(live.count == baseline.count, "JS needs the same buckets on both sides")
        func term(_ p: Double, _ m: Double) -> Double { p > 0 ? p * log2(p / m) : 0 }
        var divergence = 0.0
        for index in live.indices {
            let middle = (live[index] + baseline[index]) / 2
            divergence += 0.5 * term(live[index], middle) + 0.5 * term(baseline[index], middle)
        }
        return Swift.max(0, divergence).squareRoot()
    }

    /// Counts as fractions of their total (all zero when empty).
    static func fractions(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        return counts.map { total > 0 ? Double($0) / Double(total) : 0 }
    }
}
