import Testing
@testable import Ingestion

/// The CSV reader on RFC 4180's corner cases, fed whole and one byte at a time (a record may
/// end in any chunk).
@Suite struct CSVReaderTests {
    struct Read: Equatable {
        var fields: [String]
        var quoted: [Bool]
        var problem: CSVReader.Problem?
    }

    static func read(_ text: String, chunk: Int? = nil, maxRecordBytes: Int = 1 << 20) -> [Read] {
        var reader = CSVReader(maxRecordBytes: maxRecordBytes)
        var records: [Read] = []
        let collect = { (record: CSVReader.Record) in
            records.append(Read(fields: (0..<record.count).map { String(decoding: record.field($0), as: UTF8.self) },
                                quoted: (0..<record.count).map { record.isQuoted($0) }, problem: record.problem))
        }
        let bytes = Array(text.utf8)
        let size = chunk ?? max(bytes.count, 1)
        var start = 0
        while start < bytes.count {
            let piece = Array(bytes[start..<min(start + size, bytes.count)])
            piece.withUnsafeBytes { reader.feed($0, collect) }
            start += size
        }
        reader.finish(collect)
        return records
    }

    /// Every case read whole, byte by byte and in 3-byte chunks gives the same records.
    static func readAllWays(_ text: String) -> [Read] {
        let whole = read(text)
        #expect(read(text, chunk: 1) == whole, "byte by byte differs for \(text.debugDescription)")
        #expect(read(text, chunk: 3) == whole, "3-byte chunks differ for \(text.debugDescription)")
        return whole
    }

    @Test func plainRecordsWithLFAndCRLF() {
        let records = Self.readAllWays("a,b,c\n1,2,3\r\n4,5,6")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]])
        #expect(records.allSatisfy { $0.problem == nil })
    }

    @Test func quotedFieldsHoldCommasLineBreaksAndDoubledQuotes() {
        let records = Self.readAllWays("name,note\n\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\r\n\"\",x\n")
        #expect(records.count == 3)
        #expect(records[1].fields == ["Smith, J", "said \"hi\"\nthen left"])
        #expect(records[1].quoted == [true, true])
        #expect(records[2].fields == ["", "x"])
        #expect(records[2].quoted == [true, false], "\"\" is an empty string, quoted")
    }

    @Test func emptyFieldsAndTrailingComma() {
        let records = Self.readAllWays("a,,c,\n,,,\n")
        #expect(records.map(\.fields) == [["a", "", "c", ""], ["", "", "", ""]])
    }

    @Test func blankLinesAreNotRecords() {
        #expect(Self.readAllWays("a\n\n\r\nb\n").map(\.fields) == [["a"], ["b"]])
    }

    @Test func lastRecordWithoutLineBreak() {
        #expect(Self.readAllWays("a,b\n1,\"2\"").map(\.fields) == [["a", "b"], ["1", "2"]])
    }

    @Test func strayQuoteInUnquotedFieldIsMalformedAndDoesNotSwallowTheNextRow() {
        let records = Self.readAllWays("a,b\n1,x\"y\n3,4\n")
        #expect(records.count == 3)
        #expect(records[1].problem == .strayQuote)
        #expect(records[2].fields == ["3", "4"])
        #expect(records[2].problem == nil)
    }

    @Test func textAfterClosingQuoteIsMalformed() {
        let records = Self.readAllWays("\"ab\"c,d\n5,6\n")
        #expect(records[0].problem == .textAfterClosingQuote)
        #expect(records[0].fields.count == 2)
        #expect(records[1].fields == ["5", "6"])
    }

    @Test func unterminatedQuoteCostsOneRowNotTheRestOfTheFile() {
        let records = Self.readAllWays("a,b\n1,\"never closed\n2,3\n4,5")
        #expect(records.map(\.problem) == [nil, .unterminatedQuote, nil, nil])
        #expect(records.suffix(2).map(\.fields) == [["2", "3"], ["4", "5"]])
    }

    @Test func overlongRecordIsRejectedAndReadingGoesOnAfterIt() {
        let long = String(repeating: "x", count: 100)
        let records = Self.read("a,b\n\(long),1\n2,3\n", chunk: 7, maxRecordBytes: 32)
        #expect(records.count == 3)
        #expect(records[1].problem == .tooLarge(32))
        #expect(records[2].fields == ["2", "3"])
        // An open quote in a long body: one row lost, reading resumes at its line's end.
        let quoted = Self.read("a,b\n\"\(long)\n\(long)\n2,3\n", chunk: 5, maxRecordBytes: 32)
        #expect(quoted.contains { $0.fields == ["2", "3"] && $0.problem == nil })
    }

    @Test func quotedCRLFInsideAFieldIsKept() {
        let records = Self.readAllWays("\"a\r\nb\",c\r\n")
        #expect(records.map(\.fields) == [["a\r\nb", "c"]])
    }

    @Test func utf8FieldsPassThrough() {
        #expect(Self.readAllWays("名前,値\n\"Zoë, 🙂\",1\n").map(\.fields) == [["名前", "値"], ["Zoë, 🙂", "1"]])
    }
}
