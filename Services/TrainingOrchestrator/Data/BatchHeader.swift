import IntelliCoreEvents

/// What the orchestrator needs of a `DatasetRecordsAppended` to store it — dataset, version,
/// schema version, first row and the number of rows — read by one pass over the payload's
/// top-level object that skips the rows instead of decoding a thousand arrays of values. The
/// payload itself is stored as it is and decoded when a job reads it.
struct BatchHeader: Equatable, Sendable {
    var datasetId: String
    var version: Int
    var schemaVersion: Int
    var firstRow: Int
    var rowCount: Int

    /// Parses a payload; nil when it is not a `DatasetRecordsAppended` object.
    static func parse(_ payload: [UInt8]) -> BatchHeader? {
        payload.withUnsafeBufferPointer { bytes in
            var skimmer = JSONSkimmer(bytes)
            var datasetId: String?, version: Int?, firstRow: Int?, rows: Int?
            var schemaVersion = 1
            let read = skimmer.object { key, value in
                switch key {
                case "dataset_id": datasetId = value.string(); return datasetId != nil
                case "version": version = value.integer(); return version != nil
                case "schema_version": guard let number = value.integer() else { return false }; schemaVersion = number; return true
                case "first_row": firstRow = value.integer(); return firstRow != nil
                case "rows": rows = value.countElements(); return rows != nil
                default: return value.skipValue()
                }
            }
            guard read, let datasetId, let version, let firstRow, let rows, firstRow >= 0 else { return nil }
            return BatchHeader(datasetId: datasetId, version: version, schemaVersion: schemaVersion, firstRow: firstRow, rowCount: rows)
        }
    }
}
