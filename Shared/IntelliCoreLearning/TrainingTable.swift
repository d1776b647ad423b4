/// A dataset version as training sees it: one column of raw values per feature (`NaN` where a
/// value is missing) and the target. Categories are held as their index in the column's
/// categories, which is also what a request sends for a one-hot feature.
public struct TrainingTable: Sendable {
    public struct Feature: Sendable {
        public enum Kind: Sendable, Hashable {
            case numeric
            case categorical(categories: [String])
        }

        public let name: String
        public let kind: Kind
        /// One value per row; `NaN` marks a missing value.
        public var values: [Float]

        public init(name: String, kind: Kind, values: [Float]) {
            self.name = name
            self.kind = kind
            self.values = values
        }
    }

    public enum Target: Sendable {
        /// A class per row, as an index into `labels`.
        case classes(labels: [String], codes: [Int32])
        /// A number per row.
        case values([Float])

        public var count: Int {
            switch self {
            case .classes(_, let codes): codes.count
            case .values(let values): values.count
            }
        }
    }

    public var features: [Feature]
    public var target: Target
    public var targetName: String

    public init(features: [Feature], target: Target, targetName: String) {
        self.features = features
        self.target = target
        self.targetName = targetName
    }

    public var rowCount: Int { target.count }
}
