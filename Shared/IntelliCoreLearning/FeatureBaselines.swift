import IntelliCoreEvents

/// Per-feature histograms of the training rows, the reference monitoring compares live inputs
/// with: deciles for numbers (edges deduplicated, so a feature with few distinct values gets
/// fewer buckets), one bucket per category (edges halfway between category indices). Missing
/// values are left out.
public enum FeatureBaselines {
    public static func compute(_ table: TrainingTable, rows: [Int], buckets: Int = 10) -> [FeatureBaseline] {
        table.features.map { feature in
            let present = rows.lazy.map { Double(feature.values[$0]) }.filter { !$0.isNaN }
            var edges: [Double]
            switch feature.kind {
            case .categorical(let categories):
                edges = categories.indices.dropLast().map { Double($0) + 0.5 }
            case .numeric:
                let sorted = present.sorted()
                edges = []
                if !sorted.isEmpty {
                    for bucket in 1..<buckets {
                        let edge = sorted[min(sorted.count - 1, sorted.count * bucket / buckets)]
                        if edges.last.map({ edge > $0 }) ?? true { edges.append(edge) }
                    }
                }
            }
            var counts = [Double](repeating: 0, count: edges.count + 1)
            var total = 0.0
            for value in present {
                counts[FeatureBaseline.bucket(of: value, edges: edges)] += 1
                total += 1
            }
            return FeatureBaseline(feature: feature.name, bucketEdges: edges,
                                   bucketFractions: counts.map { total > 0 ? $0 / total : 0 })
        }
    }
}
