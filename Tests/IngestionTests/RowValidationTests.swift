import Foundation
import IntelliCoreEvents
import Testing
@testable import Ingestion

/// Rows through a reader, the validator and batches, as an upload runs them (without HTTP or Kafka).
@Suite struct RowValidationTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "age", type: .integer, minimum: 0, maximum: 130),
        ColumnSpec(name: "plan", type: .category, categories: ["free", "pro"]),
        ColumnSpec(name: "spend", type: .number, nullable: true),
        ColumnSpec(name: "note", type: .string, nullable: true),
        ColumnSpec(name: "churned", type: .boolean),
    ], target: "churned")

    static func run(_ reader: inout some RowReader, _ text: String, batchRows: Int = 2) throws -> (RowSink, [DatasetRecordsAppended]) {
        var sink = RowSink(validator: RowValidator(schema: schema, sampleLimit: 10),
                           batch: RecordBatch(datasetId: "ds-1", version: 3, schemaVersion: 1), batchRows: batchRows)
        try Array(text.utf8).withUnsafeBytes { try reader.feed($0, into: &sink) }
        try reader.finish(into: &sink)
        sink.flush()
        let batches = try sink.takeReady().map { try EventCodec.decode(DatasetRecordsAppended.self, from: $0.payload) }
        return (sink, batches)
    }

    @Test func csvRowsAreValidatedIntoBatchesInSchemaOrder() throws {
        var reader = try CSVRowReader(header: ["churned", "plan", "age", "spend", "note"], schema: Self.schema, maxRecordBytes: 1024)
        let csv = #"""
            churned,plan,age,spend,note
            true,pro,34,12.50,"likes ""blue"""
            no,free,7,,
            maybe,pro,20,1,x
            1,gold,20,1,x
            0,free,200,1,x
            1,free,31.0,+2,
            1,free,x,1,y,extra

            """#
        let (sink, batches) = try Self.run(&reader, csv)
        let report = sink.validator.report
        #expect(report.rowsRead == 7)
        #expect(report.rowsAccepted == 3)
        #expect(report.rowsRejected == 4)
        #expect(report.counts[.init(column: "churned", rule: .wrongType)] == 1)
        #expect(report.counts[.init(column: "plan", rule: .unknownCategory)] == 1)
        #expect(report.counts[.init(column: "age", rule: .outOfRange)] == 1)
        #expect(report.counts[.init(column: nil, rule: .wrongColumnCount)] == 1)
        #expect(report.samples.map(\.row) == [3, 4, 5, 7])
        #expect(batches.map(\.firstRow) == [0, 2])
        let rows = batches.flatMap(\.rows)
        #expect(rows == [
            [34, "pro", 12.5, "likes \"blue\"", true],
            [7, "free", nil, nil, false],
            [31, "free", 2, nil, true],
        ])
        #expect(batches.allSatisfy { $0.datasetId == "ds-1" && $0.version == 3 })
        let statistics = sink.validator.accumulators[0].statistics(for: Self.schema.columns[0])
        #expect(statistics.count == 3)
        #expect(statistics.minimum == 7 && statistics.maximum == 34)
        let plan = sink.validator.accumulators[1].statistics(for: Self.schema.columns[1])
        #expect(plan.categories == ["free": 2, "pro": 1])
        #expect(sink.validator.accumulators[2].nulls == 1)
    }

    @Test func requiredColumnsAndTargetMustBeInTheHeader() {
        #expect(throws: (any Error).self) { try CSVRowReader(header: ["age", "plan"], schema: Self.schema, maxRecordBytes: 64) }
        #expect(throws: (any Error).self) { try CSVRowReader(header: ["age", "plan", "churned", "bogus"], schema: Self.schema, maxRecordBytes: 64) }
        #expect(throws: (any Error).self) { try CSVRowReader(header: ["age", "age", "plan", "churned"], schema: Self.schema, maxRecordBytes: 64) }
        #expect(throws: Never.self) { try CSVRowReader(header: ["age", "plan", "churned"], schema: Self.schema, maxRecordBytes: 64) }
    }

    @Test func jsonArrayAndNDJSONRows() throws {
        let rows = """
            {"age": 1, "plan": "pro", "churned": true}
            {"age": 2.5, "plan": "pro", "churned": true}
            [1, 2]
            {"age": 3, "plan": "free", "churned": false, "colour": "red"}
            {"age": 4, "plan": "free", "churned": false, "spend": null, "note": "ok"}
            {"age": 5, "plan": "free", "churned": "no"}
            {broken
            """
        var ndjson = JSONRowReader(format: .ndjson, schema: Self.schema, maxRecordBytes: 1024)
        let (sink, batches) = try Self.run(&ndjson, rows)
        #expect(sink.validator.report.rowsRead == 7)
        #expect(sink.validator.report.rowsAccepted == 2)
        #expect(sink.validator.report.counts[.init(column: nil, rule: .notAnObject)] == 1)
        #expect(sink.validator.report.counts[.init(column: "colour", rule: .unknownColumn)] == 1)
        #expect(sink.validator.report.counts[.init(column: nil, rule: .malformedRow)] == 1)
        #expect(batches.flatMap(\.rows) == [[1, "pro", nil, nil, true], [4, "free", nil, "ok", false]])

        var array = JSONRowReader(format: .json, schema: Self.schema, maxRecordBytes: 1024)
        let lines = rows.split(separator: "\n").dropLast().joined(separator: ",\n")
        let (arraySink, arrayBatches) = try Self.run(&array, "[\n\(lines)\n]")
        #expect(arraySink.validator.report.rowsRead == 6)
        #expect(arrayBatches.flatMap(\.rows) == batches.flatMap(\.rows))
    }

    @Test func brokenArrayStructureEndsTheUpload() {
        var reader = JSONRowReader(format: .json, schema: Self.schema, maxRecordBytes: 1024)
        #expect(throws: UploadFailure.self) { try Self.run(&reader, #"[{"age":1,"plan":"pro","churned":true} x]"#) }
        var unclosed = JSONRowReader(format: .json, schema: Self.schema, maxRecordBytes: 1024)
        #expect(throws: UploadFailure.self) { try Self.run(&unclosed, #"[{"age":1,"plan":"pro","churned":true}"#) }
    }

    @Test func schemaEvolution() {
        let base = Self.schema
        var added = base
        added.columns.append(ColumnSpec(name: "region", type: .string, nullable: true))
        added.columns[1].categories = ["free", "pro", "team"]
        let compatible = SchemaEvolution.compare(base, added)
        #expect(compatible.incompatible.isEmpty)
        #expect(compatible.changes.count == 2)

        var retyped = base
        retyped.columns[2].type = .string
        #expect(SchemaEvolution.compare(base, retyped).incompatible.count == 1)
        var removed = base
        removed.columns.remove(at: 3)
        #expect(!SchemaEvolution.compare(base, removed).incompatible.isEmpty)
        var required = base
        required.columns[2].nullable = false
        #expect(SchemaEvolution.compare(base, required).incompatible == ["column spend became required (earlier rows may hold nulls)"])
        var newRequired = base
        newRequired.columns.append(ColumnSpec(name: "region", type: .string))
        #expect(SchemaEvolution.compare(base, newRequired).incompatible.count == 1)
        #expect(SchemaEvolution.compare(base, base).changes.isEmpty)
    }
}
