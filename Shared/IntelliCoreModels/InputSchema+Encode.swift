extension InputSchema {
    /// Applies each feature's preprocessing to `rows` raw rows (`rows × rawWidth`, row-major) and
    /// returns `rows × encodedWidth`: standardised numbers, expanded one-hot blocks. A missing
    /// value (`NaN`) is imputed — a number with the training mean (standardised 0), a category
    /// with no category (an all-zero block). Inference and training encode with this one function.
    public func encode(_ raw: UnsafeBufferPointer<Float>, rows: Int) throws(ModelError) -> [Float] {
        let width = encodedWidth, rawWidth = self.rawWidth
        var encoded = [Float](repeating: 0, count: rows * width)
        for row in 0..<rows {
            var column = 0
            for (index, feature) in features.enumerated() {
                let value = raw[row * rawWidth + index]
                switch feature.preprocessing {
                case .none:
                    encoded[row * width + column] = value
                case .standardize(let mean, let deviation):
                    encoded[row * width + column] = value.isNaN ? 0 : (value - mean) / (deviation == 0 ? 1 : deviation)
                case .oneHot(let categories):
                    guard !value.isNaN else { break }
                    let category = Int(exactly: value) ?? -1
                    guard categories.indices.contains(category) else {
                        throw ModelError(.invalidInput, "feature \(feature.name): \(value) is not a category index below \(categories.count)")
                    }
                    encoded[row * width + column + category] = 1
                }
                column += feature.encodedWidth
            }
        }
        return encoded
    }
}
