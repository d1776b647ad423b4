/// A consumed record's headers, read in place from the record's Headers field (Kafka record
/// format v2) as `rd_kafka_message_headers_raw` returns it: no list is built and nothing is
/// allocated (librdkafka's own `rd_kafka_message_headers` allocates once per header).
///
/// Wire format: a zig-zag varint count, then per header a zig-zag varint name length, the name,
/// a zig-zag varint value length (-1: no value) and the value. Malformed headers read as no
/// headers at all, as librdkafka's parser treats them; bytes after the last header are ignored.
public struct KafkaRecordHeaders {
    /// Above this count the field is malformed (librdkafka's parser's bound).
    static let maximumCount = 100_000

    public let bytes: UnsafeRawBufferPointer

    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Calls `body` with each header's name and value (nil: no value), in order. Returns false,
    /// having called `body` for none, when the field is malformed.
    @discardableResult
    public func forEach(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?) -> Void) -> Bool {
        withIndex { index in
            for position in 0..<index.count { body(index.name(at: position), index.value(at: position)) }
            return index.isWellFormed
        }
    }

    /// The value of the last header called `name` (empty for a header without a value); nil when
    /// there is none, or the field is malformed. (One lookup: a reader of several headers keeps
    /// the index of `withIndex` instead.)
    public func last(named name: String) -> UnsafeRawBufferPointer? {
        withIndex { $0.last(named: name) }
    }

    /// The number of headers; 0 when there are none or the field is malformed.
    public var count: Int { withIndex { $0.count } }

    /// A cursor over the field; every read checks its bounds and returns nil past them.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        /// The header count: nil when malformed, 0 for none (an empty field, or a count of 0 or below).
        mutating func count() -> Int? {
            if bytes.isEmpty { return 0 }
            guard let count = varint() else { return nil }
            guard count <= Int64(KafkaRecordHeaders.maximumCount) else { return nil }
            return Swift.max(0, Int(count))
        }

        mutating func header() -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?)? {
            guard let nameLength = varint(), nameLength >= 0, let name = take(Int(nameLength)),
                  let valueLength = varint(), valueLength >= -1 else { return nil }
            if valueLength == -1 { return (name, nil) }
            guard let value = take(Int(valueLength)) else { return nil }
            return (name, value)
        }

        private mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count <= bytes.count - position else { return nil }
            defer { position += count }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        }

        /// A zig-zag varint of at most ten bytes.
        mutating func varint() -> Int64? {
            var raw: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                raw |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }
                shift += 7
            }
            return nil
        }
    }
}

extension KafkaRecordHeaders {
    /// Appends one header to `bytes` in the record format v2 (the array's elements, without the
    /// count): what `RD_KAFKA_VTYPE_HEADERS_RAW` takes, and what `forEach` reads back.
    static func appendSerialized(name: some Collection<UInt8>, value: (some Collection<UInt8>)?, to bytes: inout [UInt8]) {
        appendVarint(Int64(name.count), to: &bytes)
        bytes.append(contentsOf: name)
        guard let value else { return appendVarint(-1, to: &bytes) }
        appendVarint(Int64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    /// A zig-zag varint.
    static func appendVarint(_ value: Int64, to bytes: inout [UInt8]) {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while raw >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: raw) | 0x80)
            raw >>= 7
        }
        bytes.append(UInt8(raw))
    }
}
