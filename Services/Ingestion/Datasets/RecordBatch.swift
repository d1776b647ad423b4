/// The payload of one `DatasetRecordsAppended`, written row by row as JSON bytes: the event's
/// fields first, then `"rows":[…]` as rows are accepted. `take()` hands the payload over and
/// starts the next batch where this one ended, so `first_row` numbers every accepted row once.
struct RecordBatch {
    private let prefix: [UInt8]
    private(set) var payload: [UInt8] = []
    private(set) var rows = 0
    /// The version's row index of this batch's first row.
    private(set) var firstRow: Int

    init(datasetId: String, version: Int, schemaVersion: Int, firstRow: Int = 0) {
        var prefix: [UInt8] = Array(#"{"dataset_id":"#.utf8)
        JSONText.appendString(datasetId, to: &prefix)
        prefix.append(contentsOf: #","version":\#(version),"schema_version":\#(schemaVersion),"first_row":"#.utf8)
        self.prefix = prefix
        self.firstRow = firstRow
        start()
    }

    private mutating func start() {
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: prefix)
        JSONText.appendInteger(firstRow, to: &payload)
        payload.append(contentsOf: #","rows":["#.utf8)
    }

    /// Appends one row, `[v1,v2,…]`: each value is its range of `scratch` (JSON already), or null.
    mutating func appendRow(_ scratch: [UInt8], ranges: [Range<Int>], isNull: [Bool]) {
        precondition(ranges.count == isNull.count)
        if rows > 0 { payload.append(UInt8(ascii: ",")) }
        payload.append(UInt8(ascii: "["))
        scratch.withUnsafeBufferPointer { values in
            for index in ranges.indices {
                if index > 0 { payload.append(UInt8(ascii: ",")) }
                if isNull[index] {
                    payload.append(contentsOf: Self.null)
                } else {
                    payload.append(contentsOf: UnsafeBufferPointer(rebasing: values[ranges[index]]))
                }
            }
        }
        payload.append(UInt8(ascii: "]"))
        rows += 1
    }

    private static let null: [UInt8] = Array("null".utf8)

    /// Appends one row, `[v1,v2,…]` written by `write`.
    mutating func appendRow(_ write: (inout [UInt8]) -> Void) {
        if rows > 0 { payload.append(UInt8(ascii: ",")) }
        write(&payload)
        rows += 1
    }

    /// The finished payload and its first row; the next batch starts after its last row.
    mutating func take() -> (firstRow: Int, rows: Int, payload: [UInt8]) {
        payload.append(contentsOf: "]}".utf8)
        let finished = (firstRow, rows, payload)
        firstRow += rows
        rows = 0
        payload = []
        payload.reserveCapacity(finished.2.count)
        start()
        return finished
    }
}
