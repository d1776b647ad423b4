import IntelliCoreModels

/// The preprocessing a model learns from its training rows and keeps in its artifact: numeric
/// features standardised with the training mean and standard deviation, categories one-hot
/// encoded, missing values imputed (a number with the training mean, a category with no
/// category: an all-zero one-hot block). Inference applies the same specs to raw requests.
public struct Preprocessing: Sendable, Hashable {
    public let features: [FeatureSpec]

    public init(features: [FeatureSpec]) {
        self.features = features
    }

    /// Learns each feature's preprocessing from the rows `rows` of `table`.
    public static func fit(_ table: TrainingTable, rows: [Int]) -> Preprocessing {
        Preprocessing(features: table.features.map { feature in
            switch feature.kind {
            case .categorical(let categories):
                return FeatureSpec(name: feature.name, preprocessing: .oneHot(categories: categories))
            case .numeric:
                var count = 0.0, mean = 0.0, squares = 0.0
                for row in rows {
                    let value = Double(feature.values[row])
                    guard !value.isNaN else { continue }
                    // Welford: stable for large means.
                    count += 1
                    let delta = value - mean
                    mean += delta / count
                    squares += delta * (value - mean)
                }
                let deviation = count > 0 ? (squares / count).squareRoot() : 0
                return FeatureSpec(name: feature.name, preprocessing: .standardize(
                    mean: Float(mean), standardDeviation: deviation > 1e-12 ? Float(deviation) : 1))
            }
        })
    }

    /// The width of an encoded row.
    public var encodedWidth: Int { features.reduce(0) { $0 + $1.encodedWidth } }

    /// The rows `rows` of `table`, encoded, `rows.count × encodedWidth` row-major.
    public func encode(_ table: TrainingTable, rows: [Int]) -> [Float] {
        let width = encodedWidth
        var encoded = [Float](repeating: 0, count: rows.count * width)
        encoded.withUnsafeMutableBufferPointer { output in
            var column = 0
            for (spec, feature) in zip(features, table.features) {
                feature.values.withUnsafeBufferPointer { values in
                    switch spec.preprocessing {
                    case .none:
                        for (index, row) in rows.enumerated() { output[index * width + column] = values[row] }
                    case .standardize(let mean, let deviation):
                        for (index, row) in rows.enumerated() {
                            let value = values[row]
                            output[index * width + column] = value.isNaN ? 0 : (value - mean) / deviation
                        }
                    case .oneHot(let categories):
                        for (index, row) in rows.enumerated() {
                            let value = values[row]
                            guard !value.isNaN, let category = Int(exactly: value), categories.indices.contains(category) else { continue }
                            output[index * width + column + category] = 1
                        }
                    }
                }
                column += spec.encodedWidth
            }
        }
        return encoded
    }
}
