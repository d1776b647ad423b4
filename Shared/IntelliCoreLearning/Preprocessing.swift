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

    /// The rows `rows` of `table`, encoded as inference will encode a request's values
    /// (`InputSchema.encode`), `rows.count × encodedWidth` row-major.
    public func encode(_ table: TrainingTable, rows: [Int]) throws(TrainingFailure) -> [Float] {
        let width = table.features.count
        var raw = [Float](repeating: 0, count: rows.count * width)
        for (column, feature) in table.features.enumerated() {
            feature.values.withUnsafeBufferPointer { values in
                for (index, row) in rows.enumerated() { raw[index * width + column] = values[row] }
            }
        }
        do {
            return try raw.withUnsafeBufferPointer { raw throws(ModelError) in
                try InputSchema(tensorName: "input", features: features).encode(raw, rows: rows.count)
            }
        } catch {
            throw TrainingFailure(.unsuitableFeature, error.message)
        }
    }
}
