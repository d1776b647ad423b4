import IntelliCoreEvents
import Testing
@testable import TrainingOrchestrator

@Suite struct BatchHeaderTests {
    @Test func readsTheFieldsAndCountsRowsInAnyKeyOrder() throws {
        let event = DatasetRecordsAppended(datasetId: "ds-1", version: 3, schemaVersion: 2, firstRow: 2000,
                                           rows: [[1, "a,]\"[", nil, true], [2.5, "x", .array(["nested"]), false], []])
        let header = try #require(BatchHeader.parse(try EventCodec.encode(event)))
        #expect(header == BatchHeader(datasetId: "ds-1", version: 3, schemaVersion: 2, firstRow: 2000, rowCount: 3))
        let reordered = #"{ "rows" : [ [1], [2] ] , "first_row": 7, "extra": {"a": [1, "}"]}, "version": 1, "dataset_id": "d\"q" }"#
        #expect(BatchHeader.parse(Array(reordered.utf8)) == BatchHeader(datasetId: "d\"q", version: 1, schemaVersion: 1, firstRow: 7, rowCount: 2))
    }

    @Test func refusesWhatIsNotABatch() {
        for text in ["", "[]", "{}", #"{"dataset_id":"d","version":1,"first_row":0}"#, #"{"dataset_id":"d","version":1,"first_row":-1,"rows":[]}"#,
                     #"{"dataset_id":"d","version":1,"first_row":0,"rows":[[1]"#] {
            #expect(BatchHeader.parse(Array(text.utf8)) == nil, "\(text)")
        }
    }
}
