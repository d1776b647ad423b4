import IntelliCoreEvents

/// Where readers put rows: the validator checks each one, accepted rows fill the current batch,
/// and full batches wait in `ready` until the upload hands them to Kafka.
struct RowSink {
    var validator: RowValidator
    var batch: RecordBatch
    let batchRows: Int
    var ready: [(firstRow: Int, rows: Int, payload: [UInt8])] = []

    init(validator: RowValidator, batch: RecordBatch, batchRows: Int) {
        self.validator = validator
        self.batch = batch
        self.batchRows = batchRows
    }

    mutating func endRow() {
        if validator.endRow(into: &batch), batch.rows >= batchRows {
            ready.append(batch.take())
        }
    }

    /// Closes the last, partly filled batch.
    mutating func flush() {
        if batch.rows > 0 { ready.append(batch.take()) }
    }

    mutating func takeReady() -> [(firstRow: Int, rows: Int, payload: [UInt8])] {
        defer { ready.removeAll(keepingCapacity: true) }
        return ready
    }
}

/// Turns an upload's bytes, chunk by chunk, into rows for a `RowSink`. Throws `UploadFailure`
/// only when the body cannot be read any further; a bad row is the validator's business.
protocol RowReader {
    mutating func feed(_ bytes: UnsafeRawBufferPointer, into sink: inout RowSink) throws(UploadFailure)
    mutating func finish(into sink: inout RowSink) throws(UploadFailure)
}

/// Why an upload stopped before its body ended, with the answer the client gets.
struct UploadFailure: Error, Sendable {
    let reason: DatasetFailureReason
    let message: String
}
