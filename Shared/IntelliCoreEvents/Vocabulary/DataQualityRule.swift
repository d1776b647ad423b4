/// Why a row was refused, as a quality report counts it and `DataQualityIssueFound.code` says it.
public enum DataQualityRule: String, Sendable, CaseIterable, Codable {
    /// A required column is empty or null.
    case missingValue = "missing_value"
    /// The value is not of the column's type.
    case wrongType = "wrong_type"
    /// A category column's value is not one of its categories.
    case unknownCategory = "unknown_category"
    /// A numeric value outside the column's minimum and maximum.
    case outOfRange = "out_of_range"
    /// A CSV row with more or fewer fields than the header.
    case wrongColumnCount = "wrong_column_count"
    /// A JSON row naming a column the schema does not have.
    case unknownColumn = "unknown_column"
    /// A row that does not parse: an unbalanced quote, text after a closing quote, broken JSON.
    case malformedRow = "malformed_row"
    /// A JSON element that is not an object.
    case notAnObject = "not_an_object"
    /// Bytes that are not UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// A row longer than the configured maximum.
    case rowTooLarge = "row_too_large"
}

/// Why a dataset version failed (`DatasetVersionFailed.reason`).
public enum DatasetFailureReason: String, Sendable, CaseIterable, Codable {
    /// More bad rows than the configured share.
    case tooManyRejectedRows = "too_many_rejected_rows"
    /// The service stopped (or was killed) while the upload ran.
    case interrupted
    /// The client's body ended early, or the connection broke.
    case uploadAborted = "upload_aborted"
    /// The body grew past the configured maximum.
    case tooLarge = "too_large"
    /// The body could not be read on: a JSON array broken mid-way, a gzip stream that is not one.
    case unreadable
    /// Not a single valid row.
    case empty
    /// Rows could not be delivered to Kafka.
    case notDelivered = "not_delivered"
}
