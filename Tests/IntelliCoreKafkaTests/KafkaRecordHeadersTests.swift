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

    /// The field's headers read by a scan written here, independent of the library (nil when
    /// malformed): what the index is checked against.
    static func scan(_ bytes: [UInt8]) -> [(name: [UInt8], value: [UInt8]?)]? {
        var position = 0
        func varint() -> Int64? {
            var raw: UInt64 = 0, shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                raw |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }
                shift += 7
            }
            return nil
        }
        func take(_ count: Int64) -> [UInt8]? {
            guard count >= 0, count <= Int64(bytes.count - position) else { return nil }
            defer { position += Int(count) }
            return Array(bytes[position..<position + Int(count)])
        }
        if bytes.isEmpty { return [] }
        guard let count = varint(), count <= 100_000 else { return nil }
        var headers: [(name: [UInt8], value: [UInt8]?)] = []
        for _ in 0..<max(0, count) {
            guard let nameLength = varint(), let name = take(nameLength), let valueLength = varint(), valueLength >= -1 else { return nil }
            if valueLength == -1 { headers.append((name, nil)); continue }
            guard let value = take(valueLength) else { return nil }
            headers.append((name, value))
        }
        return headers
    }

    /// `KafkaHeaderIndex` (and the lookups built on it) answers exactly as a scan of the field
    /// does, for each of `names`.
    static func expectIndexAgrees(_ bytes: [UInt8], names: [String], _ reason: String = "",
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let scanned = scan(bytes)
        read(bytes) { headers in
            headers.withIndex { index in
                #expect(index.count == (scanned?.count ?? 0) && headers.count == index.count, "\(reason)", sourceLocation: sourceLocation)
                for name in names {
                    let expected = scanned?.last { $0.name == Array(name.utf8) }.map { $0.value ?? [] }
                    let indexed = index.last(named: name)
                    #expect((expected == nil) == (indexed == nil), "\(reason): \(name)", sourceLocation: sourceLocation)
                    #expect(expected == indexed.map { Array($0) }, "\(reason): \(name)", sourceLocation: sourceLocation)
                    #expect(expected == headers.last(named: name).map { Array($0) }, "\(reason): \(name)", sourceLocation: sourceLocation)
                }
            }
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
        Self.expectIndexAgrees(bytes, names: ["ce_id", "empty", "blank", "ünïcode-näme", "long", "missing", "ce_i", ""])
        Self.read(bytes) { headers in
            headers.withIndex { index in
                #expect(index.last(named: "ce_id").map { Array($0) } == Array("a-2".utf8), "the index keeps the last repeat")
                #expect(index.last(named: "empty")?.count == 0 && index.last(named: "long")?.count == 300)
            }
        }
    }

    /// Random fields from a small pool of names (so repeats are common), with values absent,
    /// empty and long: the index and the scan agree on every name.
    @Test func theIndexAgreesWithTheScanOnRandomFields() {
        var generator = SystemRandomNumberGenerator()
        let pool = ["ce_id", "ce_type", "ce_time", "a", "", "ce_tenantid", "reply-topic", "x-ünï"]
        for round in 0..<300 {
            let headers: [(String, [UInt8]?)] = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                let name = pool.randomElement(using: &generator)!
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: return (name, nil)
                case 1: return (name, [])
                default: return (name, (0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                }
            }
            Self.expectIndexAgrees(Self.field(headers), names: pool + ["missing", "ce_"], "round \(round)")
        }
    }

    @Test func manyHeadersNeedAMultiByteCount() throws {
        let many = (0..<200).map { ("h\($0)", Optional(Array("\($0)".utf8))) }
        let bytes = Self.field(many)
        #expect(try #require(Self.all(bytes)).count == 200)
        Self.read(bytes) { #expect($0.last(named: "h199").map { Array($0) } == Array("199".utf8)) }
        Self.expectIndexAgrees(bytes, names: ["h0", "h42", "h199", "h200"], "200 headers (past the stack's share)")
    }

    @Test func noHeadersAndTrailingBytes() throws {
        for none in [[], Self.varint(0), Self.varint(-1)] {
            #expect(try #require(Self.all(none)).isEmpty)
            Self.read(none) { #expect($0.count == 0 && $0.last(named: "a") == nil) }
            Self.expectIndexAgrees(none, names: ["a", ""], "no headers")
        }
        let trailing = Self.field([("a", Array("1".utf8))]) + [0xFF, 0xFF]
        #expect(try #require(Self.all(trailing)).count == 1, "bytes after the last header are not headers")
        Self.expectIndexAgrees(trailing, names: ["a"], "trailing bytes")
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
                headers.withIndex { #expect($0.count == 0 && $0.last(named: "ce_id") == nil, "\(reason): the index is empty") }
            }
        }
    }
}
