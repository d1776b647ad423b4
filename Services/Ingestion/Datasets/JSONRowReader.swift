import Foundation
import IntelliCoreEvents

/// Reads JSON rows, each an object from column name to value: the elements of one top-level
/// array (`application/json`) or one object per line (NDJSON). Elements are cut out of the byte
/// stream by their brackets, so one that does not parse is a row problem and the next one is
/// read; only a broken array structure (text between elements, a body that is not an array) ends
/// the upload.
struct JSONRowReader: RowReader {
    private enum Position {
        case beforeArray, beforeElement, inElement, afterElement, done
    }

    let lineDelimited: Bool
    let maxRecordBytes: Int
    private let columns: [String: Int]
    private var position: Position
    private var element: [UInt8] = []
    private var oversized = false
    private var depth = 0
    private var inString = false
    private var escaped = false
    private let decoder = JSONDecoder()

    init(format: UploadFormat, schema: DatasetSchema, maxRecordBytes: Int) {
        lineDelimited = format == .ndjson
        self.maxRecordBytes = maxRecordBytes
        columns = Dictionary(schema.columns.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        position = lineDelimited ? .beforeElement : .beforeArray
    }

    /// Whether `bytes` (the body's first bytes) can start this format: an array must open with
    /// `[`. Nil while only whitespace arrived.
    static func startsWell(_ bytes: [UInt8], format: UploadFormat) -> Bool? {
        guard let first = bytes.first(where: { !Self.isWhitespace($0) }) else { return nil }
        return format == .ndjson || first == UInt8(ascii: "[")
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, into sink: inout RowSink) throws(UploadFailure) {
        for byte in bytes {
            try step(byte, into: &sink)
        }
    }

    mutating func finish(into sink: inout RowSink) throws(UploadFailure) {
        if lineDelimited {
            if !element.isEmpty || oversized { complete(into: &sink) }
            return
        }
        switch position {
        case .done: return
        case .beforeArray: throw UploadFailure(reason: .unreadable, message: "the body is empty; a JSON upload is an array of objects")
        default: throw UploadFailure(reason: .unreadable, message: "the JSON array is not closed: the body ended inside it")
        }
    }

    private mutating func step(_ byte: UInt8, into sink: inout RowSink) throws(UploadFailure) {
        if lineDelimited {
            if byte == UInt8(ascii: "\n") {
                if !element.isEmpty || oversized { complete(into: &sink) }
            } else {
                append(byte)
            }
            return
        }
        switch position {
        case .beforeArray:
            guard !Self.isWhitespace(byte) else { return }
            guard byte == UInt8(ascii: "[") else {
                throw UploadFailure(reason: .unreadable, message: "a JSON upload is an array of objects; the body does not start with [")
            }
            position = .beforeElement
        case .beforeElement:
            guard !Self.isWhitespace(byte) else { return }
            if byte == UInt8(ascii: "]"), sink.validator.row == 0 {
                position = .done
                return
            }
            position = .inElement
            depth = 0
            inString = false
            escaped = false
            try scan(byte, into: &sink)
        case .inElement:
            try scan(byte, into: &sink)
        case .afterElement:
            guard !Self.isWhitespace(byte) else { return }
            if byte == UInt8(ascii: ",") {
                position = .beforeElement
            } else if byte == UInt8(ascii: "]") {
                position = .done
            } else {
                throw UploadFailure(reason: .unreadable, message: "the JSON array breaks after row \(sink.validator.row): expected , or ]")
            }
        case .done:
            guard Self.isWhitespace(byte) else {
                throw UploadFailure(reason: .unreadable, message: "text follows the end of the JSON array")
            }
        }
    }

    /// One byte of an array element, cut out by its brackets (strings and escapes respected).
    private mutating func scan(_ byte: UInt8, into sink: inout RowSink) throws(UploadFailure) {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            append(byte)
            return
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
            append(byte)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            append(byte)
        case UInt8(ascii: "}") where depth > 0, UInt8(ascii: "]") where depth > 0:
            depth -= 1
            append(byte)
            if depth == 0 {
                complete(into: &sink)
                position = .afterElement
            }
        case UInt8(ascii: ","), UInt8(ascii: "]"):
            // The end of a scalar element (depth 0): a row that is not an object.
            guard depth == 0 else { return append(byte) }
            complete(into: &sink)
            position = byte == UInt8(ascii: ",") ? .beforeElement : .done
        default:
            if depth == 0, Self.isWhitespace(byte) {
                complete(into: &sink)
                position = .afterElement
            } else {
                append(byte)
            }
        }
    }

    private mutating func append(_ byte: UInt8) {
        if element.count < maxRecordBytes { element.append(byte) } else { oversized = true }
    }

    private mutating func complete(into sink: inout RowSink) {
        defer {
            element.removeAll(keepingCapacity: element.capacity <= 1 << 16)
            oversized = false
        }
        if lineDelimited, element.allSatisfy(Self.isWhitespace), !oversized { return }  // a blank line
        sink.validator.beginRow()
        defer { sink.endRow() }
        if oversized {
            return sink.validator.problem(.rowTooLarge, message: "the row is longer than \(maxRecordBytes) bytes")
        }
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: Data(element))
        } catch {
            let utf8 = element.withUnsafeBufferPointer { JSONText.isUTF8($0) }
            return utf8
                ? sink.validator.problem(.malformedRow, value: String(decoding: element.prefix(QualityReport.valueLimit), as: UTF8.self),
                                         message: "the row is not valid JSON")
                : sink.validator.problem(.invalidUTF8, message: "the row holds bytes that are not UTF-8")
        }
        guard case .object(let fields) = value else {
            return sink.validator.problem(.notAnObject, value: String(decoding: element.prefix(QualityReport.valueLimit), as: UTF8.self),
                                          message: "a row is an object from column name to value")
        }
        for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
            guard let index = columns[name] else {
                sink.validator.problem(.unknownColumn, column: name, message: "\(name) is not a column of the dataset")
                continue
            }
            sink.validator.value(field, column: index)
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
