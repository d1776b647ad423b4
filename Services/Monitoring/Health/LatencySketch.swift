import Foundation

/// A mergeable quantile sketch of durations in seconds, with DDSketch's logarithmic buckets: a
/// value v lands in bucket ⌈log_γ(v / minimum)⌉ with γ = (1 + α) / (1 − α), and a quantile is
/// answered with its bucket's midpoint 2·minimum·γⁱ / (γ + 1), within relative error α of the
/// true value for any v in [minimum, maximum]. Two sketches merge by adding their counts, so a
/// window is the sum of its slots — no sorted list of values is ever kept.
struct LatencySketch: Sendable, Equatable {
    /// α: every quantile is within 1 % of the value it stands for.
    static let relativeAccuracy = 0.01
    static let gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    static let logGamma = log(gamma)
    /// 1 µs; smaller values count as this.
    static let minimum = 1e-6
    /// 10,000 s; larger values count as this.
    static let maximum = 1e4
    static let bucketCount = Int((log(maximum / minimum) / logGamma).rounded(.up)) + 1

    /// Allocated on the first value, so that an idle slot costs nothing.
    private(set) var counts: [UInt32] = []
    private(set) var count = 0
    private(set) var sum = 0.0

    static func bucket(_ seconds: Double) -> Int {
        guard seconds > minimum else { return 0 }
        return min(bucketCount - 1, Int((log(seconds / minimum) / logGamma).rounded(.up)))
    }

    mutating func add(_ seconds: Double) {
        add(bucket: Self.bucket(seconds), seconds: seconds)
    }

    /// Adds a value whose bucket the caller computed (one logarithm for several sketches).
    mutating func add(bucket: Int, seconds: Double) {
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.bucketCount) }
        counts[bucket] &+= 1
        count += 1
        sum += seconds
    }

    mutating func merge(_ other: LatencySketch) {
        guard other.count > 0 else { return }
        if counts.isEmpty {
            self = other
            return
        }
        for index in other.counts.indices where other.counts[index] != 0 { counts[index] &+= other.counts[index] }
        count += other.count
        sum += other.sum
    }

    /// The q-quantile (0…1), nil when the sketch is empty.
    func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = Swift.max(0, Swift.min(count - 1, Int((q * Double(count - 1)).rounded(.down))))
        var seen = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += Int(bucketCount)
            if seen > rank { return Self.value(of: index) }
        }
        return Self.value(of: counts.count - 1)
    }

    static func value(of bucket: Int) -> Double {
        bucket == 0 ? minimum : minimum * 2 * pow(gamma, Double(bucket)) / (gamma + 1)
    }

    var mean: Double? { count > 0 ? sum / Double(count) : nil }
}
