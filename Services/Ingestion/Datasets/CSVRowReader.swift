import IntelliCoreEvents
import IntelliCoreServiceKit

/// Reads CSV rows whose header names the schema's columns, in any order. The header is checked
/// before any row: a column the schema does not have, a required column or the target missing,
/// or a name twice, is a 422 and no version is created.
struct CSVRowReader: RowReader {
    private var reader: CSVReader
    /// Schema column index of each field of a record.
    private let mapping: [Int]

    init(header: [String], schema: DatasetSchema, maxRecordBytes: Int) throws(APIError) {
        mapping = try Self.mapping(header: header, schema: schema)
        reader = CSVReader(maxRecordBytes: maxRecordBytes)
    }

    /// The header's names once `bytes` hold the whole first record; nil while they do not.
    static func header(in bytes: [UInt8], final: Bool, maxRecordBytes: Int) throws(APIError) -> [String]? {
        var probe = CSVReader(maxRecordBytes: maxRecordBytes)
        var header: [String]?
        var problem: CSVReader.Problem?
        let read = { (record: CSVReader.Record) in
            guard header == nil, problem == nil else { return }
            problem = record.problem
            header = (0..<record.count).map { String(decoding: record.field($0), as: UTF8.self) }
        }
        bytes.withUnsafeBytes { probe.feed($0, read) }
        if header == nil, final { probe.finish(read) }
        if let problem {
            throw APIError.badRequest("the CSV header row is malformed: \(problem.message)", code: "invalid_csv_header")
        }
        if header == nil, final {
            throw APIError.badRequest("the body is empty: a CSV upload starts with a header row naming the columns", code: "invalid_csv_header")
        }
        return header
    }

    static func mapping(header: [String], schema: DatasetSchema) throws(APIError) -> [Int] {
        var seen: Set<String> = []
        var mapping: [Int] = []
        let names = schema.columns.map(\.name)
        for name in header {
            guard seen.insert(name).inserted else {
                throw APIError.unprocessable("the header names column \(name) twice", code: "duplicate_column", details: ["column": name])
            }
            guard let index = names.firstIndex(of: name) else {
                throw APIError.unprocessable("the header names column \(name), which the dataset's schema does not have (its columns: \(names.joined(separator: ", ")))",
                                             code: DataQualityRule.unknownColumn.rawValue, details: ["column": name])
            }
            mapping.append(index)
        }
        if let target = schema.target, !seen.contains(target) {
            throw APIError.unprocessable("the header lacks the target column \(target)", code: "missing_target", details: ["column": target])
        }
        if let missing = schema.columns.first(where: { !$0.nullable && !seen.contains($0.name) }) {
            throw APIError.unprocessable("the header lacks column \(missing.name), which is required", code: "missing_column",
                                         details: ["column": missing.name])
        }
        return mapping
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, into sink: inout RowSink) {
        let mapping = self.mapping
        reader.feed(bytes) { Self.read($0, mapping: mapping, into: &sink) }
    }

    mutating func finish(into sink: inout RowSink) {
        let mapping = self.mapping
        reader.finish { Self.read($0, mapping: mapping, into: &sink) }
    }

    private static func read(_ record: CSVReader.Record, mapping: [Int], into sink: inout RowSink) {
        guard record.number > 1 else { return }  // the header
        sink.validator.beginRow()
        if let problem = record.problem {
            if case .tooLarge = problem {
                sink.validator.problem(.rowTooLarge, message: problem.message)
            } else {
                sink.validator.problem(.malformedRow, message: problem.message)
            }
        } else if record.count != mapping.count {
            sink.validator.problem(.wrongColumnCount, value: String(record.count),
                                   message: "the row has \(record.count) fields, the header \(mapping.count)")
        } else {
            for field in 0..<record.count {
                sink.validator.text(record.field(field), quoted: record.isQuoted(field), column: mapping[field])
            }
        }
        sink.endRow()
    }
}
