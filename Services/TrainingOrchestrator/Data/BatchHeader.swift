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
            var scanner = Scanner(bytes: bytes)
            return scanner.header()
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func header() -> BatchHeader? {
            var datasetId: String?, version: Int?, firstRow: Int?, rows: Int?
            var schemaVersion = 1
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            skipSpace()
            if take(UInt8(ascii: "}")) { return nil }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                switch key {
                case "dataset_id": guard let value = string() else { return nil }; datasetId = value
                case "version": guard let value = integer() else { return nil }; version = value
                case "schema_version": guard let value = integer() else { return nil }; schemaVersion = value
                case "first_row": guard let value = integer() else { return nil }; firstRow = value
                case "rows": guard let value = countElements() else { return nil }; rows = value
                default: guard skipValue() else { return nil }
                }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return nil }
                break
            }
            guard let datasetId, let version, let firstRow, let rows, firstRow >= 0 else { return nil }
            return BatchHeader(datasetId: datasetId, version: version, schemaVersion: schemaVersion, firstRow: firstRow, rowCount: rows)
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A JSON string; escapes are only allowed to be skipped over (ids have none that matter).
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)])
                    guard !raw.contains(UInt8(ascii: "\\")) else {
                        return try? EventCodec.decode(String.self, from: Array(bytes[(start - 1)..<index]))
                    }
                    return String(decoding: raw, as: UTF8.self)
                }
            }
            return nil
        }

        mutating func integer() -> Int? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            while index < bytes.count, bytes[index] &- 48 < 10 { index += 1 }
            guard index > start, index - start < 19 else { return nil }
            return Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }

        /// Skips an array, returning how many elements it held.
        mutating func countElements() -> Int? {
            guard take(UInt8(ascii: "[")) else { return nil }
            skipSpace()
            if take(UInt8(ascii: "]")) { return 0 }
            var count = 0
            while true {
                skipSpace()
                guard skipValue() else { return nil }
                count += 1
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "]")) ? count : nil
            }
        }

        /// Skips any JSON value by its brackets, strings respected.
        mutating func skipValue() -> Bool {
            guard index < bytes.count else { return false }
            let first = bytes[index]
            if first == UInt8(ascii: "\"") { return string() != nil }
            if first != UInt8(ascii: "[") && first != UInt8(ascii: "{") {
                let start = index
                while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(bytes[index]),
                      bytes[index] > 0x20 { index += 1 }
                return index > start
            }
            var depth = 0
            var inString = false, escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                    depth += 1
                } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 { return true }
                }
            }
            return false
        }
    }
}
