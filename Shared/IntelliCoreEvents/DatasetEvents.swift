import Foundation

/// The kind of values a dataset column holds.
public enum ColumnType: String, Codable, Sendable, Hashable {
    case number, category, boolean, string
}

public struct ColumnSpec: Codable, Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool

    public init(name: String, type: ColumnType, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

public struct DatasetSchema: Codable, Sendable, Hashable {
    public var columns: [ColumnSpec]
    /// The column a model learns to predict, if the dataset is meant for supervised training.
    public var target: String?

    public init(columns: [ColumnSpec], target: String? = nil) {
        self.columns = columns
        self.target = target
    }
}

public struct DatasetRegistered: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.registered.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var tenantId: String
    public var name: String
    public var schema: DatasetSchema

    public init(datasetId: String, tenantId: String, name: String, schema: DatasetSchema) {
        self.datasetId = datasetId
        self.tenantId = tenantId
        self.name = name
        self.schema = schema
    }
}

/// A batch of validated rows, values in schema column order.
public struct DatasetRecordsAppended: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.records-appended.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int
    /// Index of the batch's first row within the version, so a consumer can place rows exactly once.
    public var firstRow: Int
    public var rows: [[JSONValue]]

    public init(datasetId: String, version: Int, firstRow: Int, rows: [[JSONValue]]) {
        self.datasetId = datasetId
        self.version = version
        self.firstRow = firstRow
        self.rows = rows
    }
}

public struct DataQualityIssueFound: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.quality-issue-found.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int?
    public var column: String?
    /// `missing_value`, `wrong_type`, `unknown_column`, `out_of_range` ….
    public var code: String
    public var message: String
    public var rowsAffected: Int

    public init(datasetId: String, version: Int? = nil, column: String? = nil, code: String, message: String, rowsAffected: Int) {
        self.datasetId = datasetId
        self.version = version
        self.column = column
        self.code = code
        self.message = message
        self.rowsAffected = rowsAffected
    }
}

public struct ColumnStatistics: Codable, Sendable, Hashable {
    public var name: String
    public var count: Int
    public var nullCount: Int
    public var mean: Double?
    public var standardDeviation: Double?
    public var minimum: Double?
    public var maximum: Double?
    /// Distinct values and their counts, for category and boolean columns.
    public var categories: [String: Int]?

    public init(name: String, count: Int, nullCount: Int, mean: Double? = nil, standardDeviation: Double? = nil,
                minimum: Double? = nil, maximum: Double? = nil, categories: [String: Int]? = nil) {
        self.name = name
        self.count = count
        self.nullCount = nullCount
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.minimum = minimum
        self.maximum = maximum
        self.categories = categories
    }
}

public struct DatasetVersionSealed: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.version-sealed.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int
    public var rowCount: Int
    public var columnStatistics: [ColumnStatistics]

    public init(datasetId: String, version: Int, rowCount: Int, columnStatistics: [ColumnStatistics]) {
        self.datasetId = datasetId
        self.version = version
        self.rowCount = rowCount
        self.columnStatistics = columnStatistics
    }
}
