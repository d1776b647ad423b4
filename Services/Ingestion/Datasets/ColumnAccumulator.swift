import IntelliCoreEvents
import IntelliCoreNumerics

/// A column's statistics, accumulated one accepted value at a time in constant memory: count,
/// nulls, mean and variance (Welford), range, a quantile sketch for numbers and counts per value
/// for categories and booleans. Codable, so an open streamed version keeps it between records.
struct ColumnAccumulator: Sendable, Codable {
    var count = 0
    var nulls = 0
    var mean = 0.0
    /// Sum of squared differences from the mean (Welford's M2).
    var squares = 0.0
    /// nil until the first numeric value (JSON has no infinity).
    var minimum: Double?
    var maximum: Double?
    var sketch: QuantileSketch?
    /// Counts by category index (or 0 = false, 1 = true).
    var valueCounts: [Int]?

    /// The probabilities the sealed version reports.
    static let probabilities = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]

    init(_ column: ColumnSpec) {
        switch column.type {
        case .number, .integer: sketch = QuantileSketch(relativeAccuracy: 0.01)
        case .category: valueCounts = Array(repeating: 0, count: column.categories?.count ?? 0)
        case .boolean: valueCounts = [0, 0]
        case .string, .timestamp: break
        }
    }

    mutating func addNull() { nulls += 1 }

    mutating func add(number value: Double) {
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squares += delta * (value - mean)
        if value < minimum ?? .infinity { minimum = value }
        if value > maximum ?? -.infinity { maximum = value }
        sketch?.add(value)
    }

    mutating func add(valueIndex: Int) {
        count += 1
        valueCounts?[valueIndex] += 1
    }

    mutating func addOther() { count += 1 }

    func statistics(for column: ColumnSpec) -> ColumnStatistics {
        var statistics = ColumnStatistics(name: column.name, count: count, nullCount: nulls)
        switch column.type {
        case .number where count > 0, .integer where count > 0:
            statistics.mean = mean
            statistics.standardDeviation = count > 1 ? (squares / Double(count - 1)).squareRoot() : 0
            statistics.minimum = minimum
            statistics.maximum = maximum
            if let sketch {
                var quantiles: [String: Double] = [:]
                for probability in Self.probabilities {
                    // Clamped to the observed range: the sketch answers within 1 % of a value's magnitude.
                    quantiles[String(probability)] = sketch.quantile(probability).map { min(max($0, minimum ?? $0), maximum ?? $0) }
                }
                statistics.quantiles = quantiles
            }
        case .category:
            let names = column.categories ?? [], counts = valueCounts ?? []
            precondition(names.count == counts.count, "a category column counts exactly its categories")
            statistics.categories = Dictionary(uniqueKeysWithValues: zip(names, counts).filter { $0.1 > 0 })
        case .boolean:
            let counts = valueCounts ?? [0, 0]
            statistics.categories = ["false": counts[0], "true": counts[1]].filter { $0.value > 0 }
        default:
            break
        }
        return statistics
    }
}
