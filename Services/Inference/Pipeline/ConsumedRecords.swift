import IntelliCoreKafka

/// One consumed record as the hot path reads it: key, value and headers as bytes valid for the
/// duration of a `ConsumedRecords.withRecord` call.
protocol ConsumedRecord {
    var key: UnsafeRawBufferPointer? { get }
    var value: UnsafeRawBufferPointer? { get }
    var timestampMilliseconds: Int64? { get }
    /// The value of the last header called `name` (empty when it has none); nil when absent.
    func header(named name: String) -> UnsafeRawBufferPointer?
}

/// A consumed batch: librdkafka's messages read in place in the service (`KafkaRecordBatch`),
/// owned messages in unit tests and for a structured-mode event re-entered as binary.
protocol ConsumedRecords: Sendable {
    associatedtype Record: ConsumedRecord
    var count: Int { get }
    func withRecord<Result>(at position: Int, _ body: (Record) throws -> Result) rethrows -> Result
    /// The record's key alone (the sharder reads nothing else: no headers are indexed).
    func withKey<Result>(at position: Int, _ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result
    /// An owned copy of the record, for what outlives the batch (a dead letter).
    func copied(at position: Int) -> KafkaConsumerMessage
}

/// A record of a `KafkaRecordBatch` with its headers indexed: the decoder looks up about a dozen
/// headers per record, and each lookup then compares names instead of re-reading the field.
struct IndexedRecordView: ConsumedRecord {
    let record: KafkaRecordView
    let headers: KafkaHeaderIndex

    var key: UnsafeRawBufferPointer? { record.key }
    var value: UnsafeRawBufferPointer? { record.value }
    var timestampMilliseconds: Int64? { record.timestampMilliseconds }
    func header(named name: String) -> UnsafeRawBufferPointer? { headers.last(named: name) }
}

extension KafkaRecordBatch: ConsumedRecords {
    func withRecord<Result>(at position: Int, _ body: (IndexedRecordView) throws -> Result) rethrows -> Result {
        let record = self[position]
        return try record.headers.withIndex { try body(IndexedRecordView(record: record, headers: $0)) }
    }

    func withKey<Result>(at position: Int, _ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result {
        try body(self[position].key)
    }

    func copied(at position: Int) -> KafkaConsumerMessage { self[position].copied() }
}

extension Array: ConsumedRecords where Element == KafkaConsumerMessage {
    /// A copy of the record's bytes, laid out for the duration of the call.
    struct Record: ConsumedRecord {
        let key: UnsafeRawBufferPointer?
        let value: UnsafeRawBufferPointer?
        let timestampMilliseconds: Int64?
        let headers: [(name: String, value: UnsafeRawBufferPointer?)]

        func header(named name: String) -> UnsafeRawBufferPointer? {
            guard let header = headers.last(where: { $0.name == name }) else { return nil }
            return header.value ?? UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    func withRecord<Result>(at position: Int, _ body: (Record) throws -> Result) rethrows -> Result {
        let message = self[position]
        let headers = message.headers
        var layout: [UInt8] = []
        var headerRanges: [Range<Int>?] = []
        func add(_ bytes: [UInt8]?) -> Range<Int>? {
            guard let bytes else { return nil }
            layout.append(contentsOf: bytes)
            return (layout.count - bytes.count)..<layout.count
        }
        let key = add(message.key), value = add(message.value)
        for header in headers { headerRanges.append(add(header.value)) }
        return try layout.withUnsafeBytes { raw in
            func view(_ range: Range<Int>?) -> UnsafeRawBufferPointer? { range.map { UnsafeRawBufferPointer(rebasing: raw[$0]) } }
            let record = Record(key: view(key), value: view(value), timestampMilliseconds: message.timestampMilliseconds,
                                headers: zip(headers, headerRanges).map { ($0.name, view($1)) })
            return try body(record)
        }
    }

    func withKey<Result>(at position: Int, _ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result {
        guard let key = self[position].key else { return try body(nil) }
        return try key.withUnsafeBytes { try body($0) }
    }

    func copied(at position: Int) -> KafkaConsumerMessage { self[position] }
}
