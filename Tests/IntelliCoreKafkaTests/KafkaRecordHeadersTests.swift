import IntelliCoreKafka
import Testing

/// The in-place reader of a record's Headers field, on bytes written here in the Kafka record
/// format v2 (the round trip through librdkafka is in `MockClusterTests`).
@Suite struct KafkaRecordHeadersTests {
    /// Zig-zag varint, as Kafka writes record fields.
    static func varint(_ value: Int64) -> [UInt8] {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var out: [UInt8] = []
        while raw >= 0x80 {
            out.append(UInt8(raw & 0x7F) | 0x80)
            raw >>= 7
        }
        out.append(UInt8(raw))
        return out
    }

    static func field(_ headers: [(String, [UInt8]?)]) -> [UInt8] {
        var out = varint(Int64(headers.count))
        for (name, value) in headers {
            out += varint(Int64(name.utf8.count)) + Array(name.utf8)
            if let value { out += varint(Int64(value.count)) + value } else { out += varint(-1) }
        }
        return out
    }

    static func read<T>(_ bytes: [UInt8], _ body: (KafkaRecordHeaders) -> T) -> T {
        bytes.withUnsafeBytes { body(KafkaRecordHeaders(bytes: $0)) }
    }

    static func all(_ bytes: [UInt8]) -> [(String, [UInt8]?)]? {
        read(bytes) { headers in
            var out: [(String, [UInt8]?)] = []
            let wellFormed = headers.forEach { name, value in out.append((String(decoding: name, as: UTF8.self), value.map { Array($0) })) }
            return wellFormed ? out : nil
        }
    }

    @Test func headersAreReadInOrderAndTheLastRepeatWins() throws {
        let long = [UInt8](repeating: 7, count: 300)
        let bytes = Self.field([("ce_id", Array("a-1".utf8)), ("empty", nil), ("blank", []), ("ünïcode-näme", Array("wert".utf8)),
                                ("ce_id", Array("a-2".utf8)), ("long", long)])
        let headers = try #require(Self.all(bytes))
        #expect(headers.map(\.0) == ["ce_id", "empty", "blank", "ünïcode-näme", "ce_id", "long"])
        #expect(headers[1].1 == nil && headers[2].1 == [] && headers[5].1 == long)
        Self.read(bytes) { headers in
            #expect(headers.count == 6)
            #expect(headers.last(named: "ce_id").map { Array($0) } == Array("a-2".utf8))
            #expect(headers.last(named: "ünïcode-näme").map { Array($0) } == Array("wert".utf8))
            #expect(headers.last(named: "empty")?.count == 0, "a header without a value is present, and empty")
            #expect(headers.last(named: "blank")?.count == 0)
            #expect(headers.last(named: "long")?.count == 300, "a 300-byte value has a two-byte length")
            #expect(headers.last(named: "missing") == nil && headers.last(named: "ce_i") == nil && headers.last(named: "") == nil)
        }
    }

    @Test func manyHeadersNeedAMultiByteCount() throws {
        let many = (0..<200).map { ("h\($0)", Optional(Array("\($0)".utf8))) }
        let bytes = Self.field(many)
        #expect(try #require(Self.all(bytes)).count == 200)
        Self.read(bytes) { #expect($0.last(named: "h199").map { Array($0) } == Array("199".utf8)) }
    }

    @Test func noHeadersAndTrailingBytes() throws {
        for none in [[], Self.varint(0), Self.varint(-1)] {
            #expect(try #require(Self.all(none)).isEmpty)
            Self.read(none) { #expect($0.count == 0 && $0.last(named: "a") == nil) }
        }
        let trailing = Self.field([("a", Array("1".utf8))]) + [0xFF, 0xFF]
        #expect(try #require(Self.all(trailing)).count == 1, "bytes after the last header are not headers")
    }

    /// Every malformed field reads as no headers at all (librdkafka's parser refuses it whole).
    @Test func malformedFieldsReadAsNoHeaders() {
        let good = Self.field([("ce_id", Array("a".utf8)), ("ce_type", Array("t".utf8))])
        var cases: [(String, [UInt8])] = [
            ("count larger than the headers", Self.varint(3) + Array(good.dropFirst())),
            ("name past the end", Self.varint(1) + Self.varint(10) + Array("abc".utf8)),
            ("negative name length", Self.varint(1) + Self.varint(-2) + Self.varint(0)),
            ("value length below -1", Self.varint(1) + Self.varint(1) + [0x61] + Self.varint(-2)),
            ("value past the end", Self.varint(1) + Self.varint(1) + [0x61] + Self.varint(5) + [1, 2]),
            ("unterminated varint", [0x80, 0x80]),
            ("varint longer than ten bytes", [UInt8](repeating: 0x80, count: 11) + [0x01]),
            ("count above librdkafka's bound", Self.varint(100_001)),
        ]
        for cut in 1..<good.count { cases.append(("cut at \(cut)", Array(good.prefix(cut)))) }
        for (reason, bytes) in cases {
            #expect(Self.all(bytes) == nil, "\(reason)")
            Self.read(bytes) { headers in
                #expect(headers.count == 0, "\(reason)")
                #expect(headers.last(named: "ce_id") == nil, "\(reason)")
            }
        }
    }
}
