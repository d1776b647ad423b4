import Foundation

/// A mergeable quantile sketch with a relative-error guarantee (DDSketch, Masson et al., VLDB
/// 2019): every quantile it returns is within `relativeAccuracy` of the true value's magnitude,
/// whatever the distribution, in memory that grows with the logarithm of the value range, never
/// with the count.
///
/// Values fall into logarithmic buckets `γ^(i-1) < |x| ≤ γ^i` with `γ = (1+α)/(1−α)`; a bucket
/// answers with the value that is at most α away from all of its members. Two sketches with the
/// same accuracy merge by adding their buckets, so per-shard or per-window sketches combine into
/// one exactly as if they had seen all values.
public struct QuantileSketch: Sendable, Hashable, Codable {
    public let relativeAccuracy: Double
    private let logGamma: Double
    private var positive: BucketStore
    private var negative: BucketStore
    private var zeroCount: Int
    public private(set) var count: Int

    /// Values of magnitude below this count as zero (keeps the bucket range bounded).
    static let minimumMagnitude = 1e-9

    public init(relativeAccuracy: Double = 0.01) {
        precondition(relativeAccuracy > 0 && relativeAccuracy < 1)
        self.relativeAccuracy = relativeAccuracy
        logGamma = log((1 + relativeAccuracy) / (1 - relativeAccuracy))
        positive = BucketStore()
        negative = BucketStore()
        zeroCount = 0
        count = 0
    }

    /// Adds one finite value (NaN and infinities are ignored).
    public mutating func add(_ value: Double) {
        guard value.isFinite else { return }
        count += 1
        let magnitude = abs(value)
        if magnitude < Self.minimumMagnitude {
            zeroCount += 1
        } else if value > 0 {
            positive.add(index(magnitude))
        } else {
            negative.add(index(magnitude))
        }
    }

    /// Adds every value of `other`, which must have the same accuracy.
    public mutating func merge(_ other: QuantileSketch) {
        precondition(other.relativeAccuracy == relativeAccuracy, "only sketches of the same accuracy merge")
        positive.merge(other.positive)
        negative.merge(other.negative)
        zeroCount += other.zeroCount
        count += other.count
    }

    /// The value at probability `q` (0…1), or nil for an empty sketch.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = Int((min(max(q, 0), 1) * Double(count - 1)).rounded(.down))
        // Ascending order: the most negative values first (the negative store from its top index).
        if rank < negative.total {
            let index = negative.indexOfRank(negative.total - 1 - rank)
            return -value(at: index)
        }
        if rank < negative.total + zeroCount { return 0 }
        return value(at: positive.indexOfRank(rank - negative.total - zeroCount))
    }

    private func index(_ magnitude: Double) -> Int {
        Int((log(magnitude) / logGamma).rounded(.up))
    }

    private func value(at index: Int) -> Double {
        // The bucket's representative: 2γ^i / (γ + 1), within α of every value in (γ^(i-1), γ^i].
        let gamma = exp(logGamma)
        return 2 * exp(Double(index) * logGamma) / (gamma + 1)
    }
}

/// Counts per bucket index, dense from `offset` (indexes of one sketch span a few thousand at most).
struct BucketStore: Sendable, Hashable, Codable {
    private(set) var offset = 0
    private(set) var counts: [Int] = []
    private(set) var total = 0

    mutating func add(_ index: Int, count: Int = 1) {
        if counts.isEmpty {
            offset = index
            counts = [0]
        } else if index < offset {
            counts.insert(contentsOf: repeatElement(0, count: offset - index), at: 0)
            offset = index
        } else if index >= offset + counts.count {
            counts.append(contentsOf: repeatElement(0, count: index - offset - counts.count + 1))
        }
        counts[index - offset] += count
        total += count
    }

    mutating func merge(_ other: BucketStore) {
        for (position, count) in other.counts.enumerated() where count > 0 {
            add(other.offset + position, count: count)
        }
    }

    /// The bucket index holding the value of 0-based `rank` in ascending order.
    func indexOfRank(_ rank: Int) -> Int {
        var seen = 0
        for (position, count) in counts.enumerated() {
            seen += count
            if seen > rank { return offset + position }
        }
        return offset + counts.count - 1
    }
}
