import Foundation
import IntelliCoreEvents

/// Checks rows against a dataset schema, one field at a time, and writes each accepted row as
/// JSON in the schema's column order. A row with any problem is rejected whole: its problems go
/// to the quality report, its values to no batch and no statistic.
///
/// Fields arrive as CSV text (`text`) or JSON values (`value`) addressed by schema column index;
/// a column no field named is null.
struct RowValidator {
    private struct Column {
        let spec: ColumnSpec
        let categories: [[UInt8]]
        /// The categories as JSON strings, written as they are.
        let categoriesJSON: [[UInt8]]
    }

    private enum Parsed {
        case null
        case number(Double)
        case index(Int)
        case other
    }

    let schema: DatasetSchema
    private let columns: [Column]
    // The hot path reads these flat arrays: copying a `Column` per field costs retains.
    private let types: [ColumnType]
    private let nullable: [Bool]
    /// Inclusive bounds (±infinity when the column has none).
    private let lower: [Double]
    private let upper: [Double]
    private var isNull: [Bool]
    private(set) var accumulators: [ColumnAccumulator]
    private(set) var report: QualityReport
    /// The current row's encoded values, and where each column's value is in it.
    private var scratch: [UInt8] = []
    private var ranges: [Range<Int>]
    private var parsed: [Parsed]
    private var present: [Bool]
    private var rowProblem = false
    /// The row as a whole is bad (it does not parse, or has the wrong shape): its fields are not checked.
    private var wholeRowProblem = false

    init(schema: DatasetSchema, sampleLimit: Int) {
        self.schema = schema
        columns = schema.columns.map { spec in
            let categories = (spec.categories ?? []).map { Array($0.utf8) }
            return Column(spec: spec, categories: categories, categoriesJSON: categories.map { category in
                var json: [UInt8] = []
                category.withUnsafeBufferPointer { JSONText.appendString($0, to: &json) }
                return json
            })
        }
        types = schema.columns.map(\.type)
        nullable = schema.columns.map(\.nullable)
        lower = schema.columns.map { $0.minimum ?? -.infinity }
        upper = schema.columns.map { $0.maximum ?? .infinity }
        isNull = Array(repeating: true, count: schema.columns.count)
        accumulators = schema.columns.map(ColumnAccumulator.init)
        report = QualityReport(sampleLimit: sampleLimit)
        ranges = Array(repeating: 0..<0, count: schema.columns.count)
        parsed = Array(repeating: .null, count: schema.columns.count)
        present = Array(repeating: false, count: schema.columns.count)
    }

    /// Restores an open version's statistics and report (a streamed version between records).
    init(schema: DatasetSchema, sampleLimit: Int, accumulators: [ColumnAccumulator], report: QualityReport) {
        self.init(schema: schema, sampleLimit: sampleLimit)
        if accumulators.count == schema.columns.count { self.accumulators = accumulators }
        self.report = report
    }

    mutating func beginRow() {
        scratch.removeAll(keepingCapacity: true)
        for index in present.indices { present[index] = false }
        rowProblem = false
        wholeRowProblem = false
        report.rowsRead += 1
    }

    var row: Int { report.rowsRead }

    /// A problem of the whole row.
    mutating func problem(_ rule: DataQualityRule, column: String? = nil, value: String? = nil, message: String) {
        rowProblem = true
        if column == nil { wholeRowProblem = true }
        report.record(row: row, column: column, rule: rule, value: value, message: message)
    }

    /// One CSV field: an empty unquoted field is null, and so is `""` in a column that is not text.
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, column index: Int) {
        let type = types[index]
        present[index] = true
        let start = scratch.count
        if bytes.isEmpty, !quoted || type != .string {
            return null(index, start: start)
        }
        switch type {
        case .number, .integer:
            guard let number = JSONText.parseNumber(bytes) else {
                return wrongType(index, bytes, "expected \(type == .integer ? "a whole number" : "a number")")
            }
            guard type == .number || Self.isWhole(number.value) else {
                return wrongType(index, bytes, "expected a whole number")
            }
            if number.value < lower[index] || number.value > upper[index] {
                return outOfRange(index, number.value, text: bytes)
            }
            if number.isJSON { scratch.append(contentsOf: bytes) } else { JSONText.appendNumber(number.value, to: &scratch) }
            parsed[index] = .number(number.value)
        case .boolean:
            let value: Bool
            if JSONText.equalsIgnoringCase(bytes, "true") || JSONText.equalsIgnoringCase(bytes, "1") || JSONText.equalsIgnoringCase(bytes, "yes") {
                value = true
            } else if JSONText.equalsIgnoringCase(bytes, "false") || JSONText.equalsIgnoringCase(bytes, "0") || JSONText.equalsIgnoringCase(bytes, "no") {
                value = false
            } else {
                return wrongType(index, bytes, "expected true or false")
            }
            scratch.append(contentsOf: (value ? "true" : "false").utf8)
            parsed[index] = .index(value ? 1 : 0)
        case .category:
            guard let category = columns[index].categories.firstIndex(where: { Self.equal($0, bytes) }) else {
                guard JSONText.isUTF8(bytes) else { return invalidUTF8(index) }
                let value = String(decoding: bytes, as: UTF8.self), name = schema.columns[index].name
                problem(.unknownCategory, column: name, value: value, message: "\(value.prefix(40)) is not one of the categories of \(name)")
                return
            }
            scratch.append(contentsOf: columns[index].categoriesJSON[category])
            parsed[index] = .index(category)
        case .string:
            guard JSONText.isUTF8(bytes) else { return invalidUTF8(index) }
            JSONText.appendString(bytes, to: &scratch)
            parsed[index] = .other
        case .timestamp:
            guard JSONText.isTimestamp(bytes) else { return wrongType(index, bytes, "expected an RFC 3339 date-time") }
            JSONText.appendString(bytes, to: &scratch)
            parsed[index] = .other
        }
        ranges[index] = start..<scratch.count
        isNull[index] = false
    }

    /// One JSON field.
    mutating func value(_ value: JSONValue, column index: Int) {
        let column = columns[index]
        present[index] = true
        let start = scratch.count
        switch (column.spec.type, value) {
        case (_, .null):
            return null(index, start: start)
        case (.number, .number(let number)), (.integer, .number(let number)):
            guard column.spec.type == .number || Self.isWhole(number) else {
                return wrongValue(index, value, "expected a whole number")
            }
            if number < lower[index] || number > upper[index] { return outOfRange(index, number, text: nil) }
            JSONText.appendNumber(number, to: &scratch)
            parsed[index] = .number(number)
        case (.boolean, .bool(let flag)):
            scratch.append(contentsOf: (flag ? "true" : "false").utf8)
            parsed[index] = .index(flag ? 1 : 0)
        case (.category, .string(let text)):
            guard let category = column.spec.categories?.firstIndex(of: text) else {
                problem(.unknownCategory, column: column.spec.name, value: text,
                        message: "\(text.prefix(40)) is not one of the categories of \(column.spec.name)")
                return
            }
            scratch.append(contentsOf: column.categoriesJSON[category])
            parsed[index] = .index(category)
        case (.string, .string(let text)):
            JSONText.appendString(text, to: &scratch)
            parsed[index] = .other
        case (.timestamp, .string(var text)):
            guard text.withUTF8({ JSONText.isTimestamp($0) }) else { return wrongValue(index, value, "expected an RFC 3339 date-time") }
            JSONText.appendString(text, to: &scratch)
            parsed[index] = .other
        default:
            return wrongValue(index, value, "expected \(Self.describe(column.spec.type))")
        }
        ranges[index] = start..<scratch.count
        isNull[index] = false
    }

    /// Ends the row: appends it to `batch` and counts its values when it had no problem; returns
    /// whether it was accepted.
    mutating func endRow(into batch: inout RecordBatch) -> Bool {
        if !wholeRowProblem {
            for index in columns.indices where !present[index] {
                null(index, start: scratch.count)
            }
        }
        guard !rowProblem else {
            report.rowsRejected += 1
            return false
        }
        report.rowsAccepted += 1
        batch.appendRow(scratch, ranges: ranges, isNull: isNull)
        for index in parsed.indices {
            switch parsed[index] {
            case .null: accumulators[index].addNull()
            case .number(let value): accumulators[index].add(number: value)
            case .index(let value): accumulators[index].add(valueIndex: value)
            case .other: accumulators[index].addOther()
            }
        }
        return true
    }

    private mutating func null(_ index: Int, start: Int) {
        parsed[index] = .null
        ranges[index] = start..<start
        isNull[index] = true
        if !nullable[index] {
            let name = schema.columns[index].name
            problem(.missingValue, column: name, message: "\(name) is required")
        }
    }

    private mutating func outOfRange(_ index: Int, _ value: Double, text: UnsafeBufferPointer<UInt8>?) {
        let spec = schema.columns[index]
        let shown = text.map { String(decoding: $0, as: UTF8.self) } ?? value.description
        if let minimum = spec.minimum, value < minimum {
            problem(.outOfRange, column: spec.name, value: shown, message: "\(spec.name) must be at least \(minimum)")
        } else {
            problem(.outOfRange, column: spec.name, value: shown, message: "\(spec.name) must be at most \(spec.maximum ?? .infinity)")
        }
    }

    private mutating func wrongType(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ message: String) {
        guard JSONText.isUTF8(bytes) else { return invalidUTF8(index) }
        let name = schema.columns[index].name
        problem(.wrongType, column: name, value: String(decoding: bytes, as: UTF8.self), message: "\(name): \(message)")
    }

    private mutating func wrongValue(_ index: Int, _ value: JSONValue, _ message: String) {
        let spec = columns[index].spec
        let text = (try? EventCodec.encode(value)).map { String(decoding: $0, as: UTF8.self) }
        problem(.wrongType, column: spec.name, value: text, message: "\(spec.name): \(message)")
    }

    private mutating func invalidUTF8(_ index: Int) {
        let spec = columns[index].spec
        problem(.invalidUTF8, column: spec.name, message: "\(spec.name) holds bytes that are not UTF-8")
    }

    private static func isWhole(_ value: Double) -> Bool {
        value.rounded() == value && abs(value) <= 9_007_199_254_740_992
    }

    private static func equal(_ category: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard category.count == bytes.count else { return false }
        guard !bytes.isEmpty else { return true }
        return category.withUnsafeBufferPointer { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
    }

    static func describe(_ type: ColumnType) -> String {
        switch type {
        case .number: "a number"
        case .integer: "a whole number"
        case .boolean: "true or false"
        case .category: "one of the column's categories (a string)"
        case .string: "a string"
        case .timestamp: "an RFC 3339 date-time (a string)"
        }
    }
}
