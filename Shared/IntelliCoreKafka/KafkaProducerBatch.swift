/// Records to produce, written into one byte arena: topics, keys, values and headers of a whole
/// batch live in a few growing buffers, so building a thousand records costs no allocation per
/// record (`KafkaProducerMessage` costs one per key, value, header value and header list).
/// `KafkaProducer.enqueue(_:)` hands the records to librdkafka straight from the arena.
///
/// Build a record with `beginRecord`, then its key, value and headers in any order; the record
/// ends where the next one begins. Values can be written in place (`writeValue`), and a record can
/// be repeated to another topic without copying its bytes (`appendCopy`).
public struct KafkaProducerBatch: Sendable {
    /// A range of the arena; `count < 0` when absent.
    struct Span: Sendable {
        var start: Int32
        var count: Int32
        static let none = Span(start: 0, count: -1)
    }

    struct Record: Sendable {
        /// Index into `topicNames` (and `topicSpans`, the NUL-terminated name in the arena).
        var topic: Int32
        /// -1: the partitioner chooses from the key.
        var partition: Int32
        var key: Span
        var value: Span
        var firstHeader: Int32
        var headerCount: Int32
    }

    struct Header: Sendable {
        /// The name's bytes (librdkafka takes headers serialised, so no NUL is needed).
        var name: Span
        var value: Span
    }

    private(set) var bytes: [UInt8] = []
    private(set) var records: [Record] = []
    private(set) var headers: [Header] = []
    private(set) var topicNames: [String] = []
    private(set) var topicSpans: [Span] = []

    /// Reserves room for `records` records of about `bytesPerRecord` bytes and `headersPerRecord` headers each.
    public init(records: Int = 0, bytesPerRecord: Int = 0, headersPerRecord: Int = 0) {
        self.records.reserveCapacity(records)
        bytes.reserveCapacity(records * bytesPerRecord)
        headers.reserveCapacity(records * headersPerRecord)
    }

    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    /// Starts a record on `topic` (and `partition`, when given; otherwise the partitioner chooses).
    public mutating func beginRecord(topic: String, partition: Int32? = nil) {
        records.append(Record(topic: topicIndex(topic), partition: partition ?? -1, key: .none, value: .none,
                              firstHeader: Int32(headers.count), headerCount: 0))
    }

    public mutating func setKey(_ key: UnsafeRawBufferPointer) {
        records[records.count - 1].key = append(key)
    }

    public mutating func setKey(_ key: [UInt8]) {
        key.withUnsafeBytes { setKey($0) }
    }

    public mutating func setValue(_ value: [UInt8]) {
        records[records.count - 1].value = value.withUnsafeBytes { append($0) }
    }

    /// Writes the value in place: `write` appends the value's bytes to the arena it is given.
    public mutating func writeValue(_ write: (inout [UInt8]) -> Void) {
        let start = bytes.count
        write(&bytes)
        records[records.count - 1].value = Span(start: Int32(start), count: Int32(bytes.count - start))
    }

    public mutating func addHeader(name: String, value: UnsafeRawBufferPointer) {
        let name = appendBytes(of: name)
        headers.append(Header(name: name, value: append(value)))
        records[records.count - 1].headerCount += 1
    }

    public mutating func addHeader(name: String, value: [UInt8]) {
        value.withUnsafeBytes { addHeader(name: name, value: $0) }
    }

    public mutating func addHeader(name: String, value: String) {
        var value = value
        value.withUTF8 { addHeader(name: name, value: UnsafeRawBufferPointer($0)) }
    }

    /// A header whose value `write` appends to the arena it is given (a value made of parts).
    public mutating func addHeader(name: String, write: (inout [UInt8]) -> Void) {
        let name = appendBytes(of: name)
        let start = bytes.count
        write(&bytes)
        headers.append(Header(name: name, value: Span(start: Int32(start), count: Int32(bytes.count - start))))
        records[records.count - 1].headerCount += 1
    }

    /// Repeats record `index` on `topic`/`partition`, sharing its key, value and headers' bytes,
    /// with `extraHeader` after its headers.
    public mutating func appendCopy(of index: Int, topic: String, partition: Int32?, extraHeader: (name: String, value: [UInt8])? = nil) {
        var record = records[index]
        record.topic = topicIndex(topic)
        record.partition = partition ?? -1
        let first = headers.count
        headers.append(contentsOf: headers[Int(record.firstHeader)..<Int(record.firstHeader + record.headerCount)])
        record.firstHeader = Int32(first)
        records.append(record)
        if let extraHeader { addHeader(name: extraHeader.name, value: extraHeader.value) }
    }

    /// Appends every record of `other`, in order (its bytes copied once, in one piece).
    public mutating func append(contentsOf other: KafkaProducerBatch) {
        let shift = Int32(bytes.count)
        func moved(_ span: Span) -> Span { span.count < 0 ? span : Span(start: span.start + shift, count: span.count) }
        bytes.append(contentsOf: other.bytes)
        let topics = other.topicNames.map { name -> Int32 in
            if let index = topicNames.firstIndex(of: name) { return Int32(index) }
            topicNames.append(name)
            topicSpans.append(appendName(name))
            return Int32(topicNames.count - 1)
        }
        let headerShift = Int32(headers.count)
        headers.append(contentsOf: other.headers.lazy.map { Header(name: moved($0.name), value: moved($0.value)) })
        records.append(contentsOf: other.records.lazy.map { record in
            Record(topic: topics[Int(record.topic)], partition: record.partition, key: moved(record.key), value: moved(record.value),
                   firstHeader: record.firstHeader + headerShift, headerCount: record.headerCount)
        })
    }

    /// Record `index` as an owned message (a copy: for tests, logs and dead letters).
    public func message(at index: Int) -> KafkaProducerMessage {
        let record = records[index]
        return KafkaProducerMessage(
            topic: topicNames[Int(record.topic)], partition: record.partition < 0 ? nil : record.partition,
            key: bytes(record.key), value: bytes(record.value),
            headers: headers[Int(record.firstHeader)..<Int(record.firstHeader + record.headerCount)].map { header in
                KafkaHeader(name: String(decoding: bytes(header.name) ?? [], as: UTF8.self), value: bytes(header.value))
            })
    }

    /// Every record as an owned message, in order.
    public var messages: [KafkaProducerMessage] { records.indices.map(message(at:)) }

    public func topic(at index: Int) -> String { topicNames[Int(records[index].topic)] }

    // MARK: arena

    private func bytes(_ span: Span) -> [UInt8]? {
        span.count < 0 ? nil : Array(bytes[Int(span.start)..<Int(span.start + span.count)])
    }

    private mutating func append(_ data: UnsafeRawBufferPointer) -> Span {
        let start = bytes.count
        bytes.append(contentsOf: data)
        return Span(start: Int32(start), count: Int32(data.count))
    }

    private mutating func appendBytes(of text: String) -> Span {
        var text = text
        return text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// A topic name, NUL-terminated for librdkafka; the span excludes the NUL.
    private mutating func appendName(_ name: String) -> Span {
        let span = appendBytes(of: name)
        bytes.append(0)
        return span
    }

    private mutating func topicIndex(_ topic: String) -> Int32 {
        if let last = topicNames.indices.last, topicNames[last] == topic { return Int32(last) }
        if let index = topicNames.firstIndex(of: topic) { return Int32(index) }
        topicNames.append(topic)
        topicSpans.append(appendName(topic))
        return Int32(topicNames.count - 1)
    }
}
