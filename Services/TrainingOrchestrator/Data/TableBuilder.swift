import IntelliCoreEvents
import IntelliCoreLearning

/// Turns a dataset version's stored rows into a `TrainingTable`: picks the feature columns (the
/// job's list, or every number, integer, boolean and category column but the target), converts
/// values as the artifact's preprocessing expects them (numbers, booleans as 0/1, categories as
/// their index, `NaN` where missing) and reads the target as classes or numbers.
struct TableBuilder {
    private enum TargetReader {
        case categories([String])
        case booleans
        /// Text or whole numbers read as classes; the labels are found as rows arrive.
        case discovered
        case numbers
    }

    private let featureColumns: [(index: Int, spec: ColumnSpec)]
    private let targetIndex: Int
    private let targetName: String
    private let targetReader: TargetReader
    private var features: [[Float]]
    private var codes: [Int32] = []
    private var values: [Float] = []
    private var discovered: [String: Int32] = [:]

    /// Checks the job's columns against the version's schema.
    init(schema: DatasetSchema, target: String, features requested: [String]?, algorithm: TrainingAlgorithm) throws(TrainingFailure) {
        guard let targetIndex = schema.columns.firstIndex(where: { $0.name == target }) else {
            throw TrainingFailure(.unsuitableTarget, "target \(target) is not a column of the dataset (columns: \(schema.columns.map(\.name).joined(separator: ", ")))")
        }
        let targetSpec = schema.columns[targetIndex]
        let classifier = algorithm == .logisticRegression || algorithm == .softmaxRegression
        switch targetSpec.type {
        case .category: targetReader = .categories(targetSpec.categories ?? [])
        case .boolean: targetReader = .booleans
        case .string: targetReader = .discovered
        case .integer: targetReader = classifier ? .discovered : .numbers
        case .number: targetReader = .numbers
        case .timestamp: throw TrainingFailure(.unsuitableTarget, "target \(target) is a timestamp; a target is a number, integer, boolean, category or string")
        }
        var columns: [(Int, ColumnSpec)] = []
        if let requested {
            for name in requested {
                guard let index = schema.columns.firstIndex(where: { $0.name == name }) else {
                    throw TrainingFailure(.unsuitableFeature, "feature \(name) is not a column of the dataset")
                }
                guard name != target else { throw TrainingFailure(.unsuitableFeature, "feature \(name) is the target") }
                let spec = schema.columns[index]
                guard Self.isUsable(spec.type) else {
                    throw TrainingFailure(.unsuitableFeature, "feature \(name) is a \(spec.type.rawValue) column; features are number, integer, boolean or category columns")
                }
                columns.append((index, spec))
            }
        } else {
            columns = schema.columns.enumerated().filter { $0.offset != targetIndex && Self.isUsable($0.element.type) }.map { ($0.offset, $0.element) }
        }
        guard !columns.isEmpty else {
            throw TrainingFailure(.unsuitableFeature, "the dataset has no number, integer, boolean or category column besides the target to learn from")
        }
        featureColumns = columns
        self.targetIndex = targetIndex
        targetName = target
        self.features = Array(repeating: [], count: columns.count)
    }

    private static func isUsable(_ type: ColumnType) -> Bool { type != .string && type != .timestamp }

    /// Adds rows in the column order of the version's schema (rows of an older schema version are a prefix of it).
    mutating func add(_ rows: [[JSONValue]]) {
        for row in rows {
            for (position, column) in featureColumns.enumerated() {
                let value = column.index < row.count ? row[column.index] : .null
                features[position].append(Self.number(value, spec: column.spec))
            }
            let target = targetIndex < row.count ? row[targetIndex] : .null
            switch targetReader {
            case .numbers:
                if case .number(let number) = target { values.append(Float(number)) } else { values.append(.nan) }
            case .booleans:
                if case .bool(let flag) = target { codes.append(flag ? 1 : 0) } else { codes.append(-1) }
            case .categories(let categories):
                if case .string(let text) = target, let index = categories.firstIndex(of: text) { codes.append(Int32(index)) } else { codes.append(-1) }
            case .discovered:
                let label: String? = switch target {
                case .string(let text): text
                case .number(let number): number == number.rounded() ? String(Int(number)) : String(number)
                default: nil
                }
                guard let label else { codes.append(-1); continue }
                if let code = discovered[label] {
                    codes.append(code)
                } else {
                    let code = Int32(discovered.count)
                    discovered[label] = code
                    codes.append(code)
                }
            }
        }
    }

    private static func number(_ value: JSONValue, spec: ColumnSpec) -> Float {
        switch (spec.type, value) {
        case (.number, .number(let number)), (.integer, .number(let number)): Float(number)
        case (.boolean, .bool(let flag)): flag ? 1 : 0
        case (.category, .string(let text)): (spec.categories?.firstIndex(of: text)).map { Float($0) } ?? .nan
        default: .nan
        }
    }

    /// The table of every row added.
    func table() -> TrainingTable {
        let columns = zip(featureColumns, features).map { column, values in
            TrainingTable.Feature(name: column.spec.name,
                                  kind: column.spec.type == .category ? .categorical(categories: column.spec.categories ?? []) : .numeric,
                                  values: values)
        }
        let target: TrainingTable.Target = switch targetReader {
        case .numbers: .values(values)
        case .booleans: .classes(labels: ["false", "true"], codes: codes)
        case .categories(let categories): .classes(labels: categories, codes: codes)
        case .discovered: .classes(labels: discovered.sorted { $0.value < $1.value }.map(\.key), codes: codes)
        }
        return TrainingTable(features: columns, target: target, targetName: targetName)
    }
}
