/// The bytes a batch's requests keep once their records are read — event ids, keys, tenant
/// headers, request ids — copied into one buffer, so a request holds ranges, not arrays.
struct RequestBytes {
    /// A range of the buffer.
    struct Span: Equatable {
        let start: Int32
        let count: Int32
    }

    private(set) var storage: [UInt8] = []

    init(capacity: Int = 0) {
        storage.reserveCapacity(capacity)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Span {
        let start = storage.count
        storage.append(contentsOf: bytes)
        return Span(start: Int32(start), count: Int32(bytes.count))
    }

    mutating func append(_ text: String) -> Span {
        var text = text
        return text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func withBytes<Result>(_ span: Span, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Int(span.start)..<Int(span.start + span.count)])) }
    }

    func string(_ span: Span) -> String {
        withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    func equals(_ span: Span, _ text: String) -> Bool {
        withBytes(span) { $0.isUTF8(of: text) }
    }
}
