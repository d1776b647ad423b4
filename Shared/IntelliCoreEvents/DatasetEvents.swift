import Foundation

/// The kind of values a dataset column holds.
public enum ColumnType: String, Codable, Sendable, Hashable, CaseIterable {
    /// Any finite number.
    case number
    /// A whole number (written without a fraction, or with `.0`).
    case integer
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, any case, in CSV).
    case boolean
    /// One of the column's `categories`.
    case category
    /// Free text.
    case string
    /// An RFC 3339 date-time.
    case timestamp

    public var isNumeric: Bool { self == .number || self == .integer }
}

public struct ColumnSpec: Codable, Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    /// The allowed values of a `category` column.
    public var categories: [String]?
    /// Inclusive bounds of a numeric column.
    public var minimum: Double?
    public var maximum: Double?

    public init(name: String, type: ColumnType, nullable: Bool = false, categories: [String]? = nil,
                minimum: Double? = nil, maximum: Double? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.categories = categories
        self.minimum = minimum
        self.maximum = maximum
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
    /// 1 at registration; `DatasetSchemaEvolved` announces the later ones.
    public var schemaVersion: Int

    public init(datasetId: String, tenantId: String, name: String, schema: DatasetSchema, schemaVersion: Int = 1) {
        self.datasetId = datasetId
        self.tenantId = tenantId
        self.name = name
        self.schema = schema
        self.schemaVersion = schemaVersion
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        datasetId = try container.decode(String.self, forKey: .datasetId)
        tenantId = try container.decode(String.self, forKey: .tenantId)
        name = try container.decode(String.self, forKey: .name)
        schema = try container.decode(DatasetSchema.self, forKey: .schema)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
    }
}

/// A compatible change of a dataset's schema (new nullable columns at the end, new category
/// values): versions uploaded from now on use `schema`. Rows of earlier schema versions are a
/// prefix of the new column order.
public struct DatasetSchemaEvolved: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.schema-evolved.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var schemaVersion: Int
    public var schema: DatasetSchema
    /// What changed, one sentence each.
    public var changes: [String]

    public init(datasetId: String, schemaVersion: Int, schema: DatasetSchema, changes: [String]) {
        self.datasetId = datasetId
        self.schemaVersion = schemaVersion
        self.schema = schema
        self.changes = changes
    }
}

/// A batch of validated rows, values in the column order of the version's schema.
public struct DatasetRecordsAppended: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.records-appended.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int
    /// The schema version whose column order the rows follow.
    public var schemaVersion: Int
    /// Index of the batch's first row within the version, so a consumer can place rows exactly once.
    public var firstRow: Int
    public var rows: [[JSONValue]]

    public init(datasetId: String, version: Int, schemaVersion: Int = 1, firstRow: Int, rows: [[JSONValue]]) {
        self.datasetId = datasetId
        self.version = version
        self.schemaVersion = schemaVersion
        self.firstRow = firstRow
        self.rows = rows
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        datasetId = try container.decode(String.self, forKey: .datasetId)
        version = try container.decode(Int.self, forKey: .version)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        firstRow = try container.decode(Int.self, forKey: .firstRow)
        rows = try container.decode([[JSONValue]].self, forKey: .rows)
    }
}

public struct DataQualityIssueFound: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.quality-issue-found.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int?
    public var column: String?
    /// A `DataQualityRule`: `missing_value`, `wrong_type`, `unknown_category`, `out_of_range` ….
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
    /// Non-null values.
    public var count: Int
    public var nullCount: Int
    public var mean: Double?
    public var standardDeviation: Double?
    public var minimum: Double?
    public var maximum: Double?
    /// Quantiles of a numeric column by probability (`"0.5"` is the median), within 1 % relative
    /// error.
    public var quantiles: [String: Double]?
    /// Distinct values and their counts, for category and boolean columns.
    public var categories: [String: Int]?

    public init(name: String, count: Int, nullCount: Int, mean: Double? = nil, standardDeviation: Double? = nil,
                minimum: Double? = nil, maximum: Double? = nil, quantiles: [String: Double]? = nil, categories: [String: Int]? = nil) {
        self.name = name
        self.count = count
        self.nullCount = nullCount
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.minimum = minimum
        self.maximum = maximum
        self.quantiles = quantiles
        self.categories = categories
    }
}

/// A version is complete and immutable; training may use it.
public struct DatasetVersionSealed: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.version-sealed.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int
    public var schemaVersion: Int
    public var rowCount: Int
    /// Rows refused by validation (they are in the quality report, never in the version).
    public var rowsRejected: Int
    public var columnStatistics: [ColumnStatistics]
    /// The decompressed size of the data the version was read from: what billing's storage meter
    /// (GB-months) counts from the moment the version is sealed.
    public var bytes: Int?

    public init(datasetId: String, version: Int, schemaVersion: Int = 1, rowCount: Int, rowsRejected: Int = 0,
                columnStatistics: [ColumnStatistics], bytes: Int? = nil) {
        self.datasetId = datasetId
        self.version = version
        self.schemaVersion = schemaVersion
        self.rowCount = rowCount
        self.rowsRejected = rowsRejected
        self.columnStatistics = columnStatistics
        self.bytes = bytes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        datasetId = try container.decode(String.self, forKey: .datasetId)
        version = try container.decode(Int.self, forKey: .version)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        rowCount = try container.decode(Int.self, forKey: .rowCount)
        rowsRejected = try container.decodeIfPresent(Int.self, forKey: .rowsRejected) ?? 0
        columnStatistics = try container.decode([ColumnStatistics].self, forKey: .columnStatistics)
        bytes = try container.decodeIfPresent(Int.self, forKey: .bytes)
    }
}

/// A version that will never be sealed: too many bad rows, an upload that broke off or that the
/// service was stopped in the middle of. Rows already appended to it must be discarded.
public struct DatasetVersionFailed: DomainEvent, Hashable {
    public static let eventType = "intellicore.dataset.version-failed.v1"
    public static let topic = Topic.datasets

    public var datasetId: String
    public var version: Int
    /// A `DatasetFailureReason`.
    public var reason: String
    public var message: String
    public var rowsRead: Int
    public var rowsRejected: Int

    public init(datasetId: String, version: Int, reason: String, message: String, rowsRead: Int, rowsRejected: Int) {
        self.datasetId = datasetId
        self.version = version
        self.reason = reason
        self.message = message
        self.rowsRead = rowsRead
        self.rowsRejected = rowsRejected
    }
}
