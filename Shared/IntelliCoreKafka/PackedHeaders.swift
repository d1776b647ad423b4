#if canImport(Glibc)
import Glibc
#endif

/// A record's headers packed into one byte buffer and one index, in order.
///
/// Consumed records keep their headers this way: one record costs two allocations for its
/// headers instead of one per header value, and single headers are read without building the list.
struct PackedHeaders: Sendable {
    struct Entry: Sendable {
        var nameStart: Int32
        var nameCount: Int32
        var valueStart: Int32
        /// -1 for a header without a value.
        var valueCount: Int32
    }

    private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []

    init() {}

    init(_ headers: [KafkaHeader]) {
        for header in headers { append(name: header.name.utf8, value: header.value) }
    }

    init(reservingCount count: Int, bytes byteCount: Int) {
        entries.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
    }

    mutating func append(name: some Collection<UInt8>, value: (some Collection<UInt8>)?) {
        let nameStart = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        if let value { bytes.append(contentsOf: value) }
        entries.append(Entry(nameStart: Int32(nameStart), nameCount: Int32(valueStart - nameStart), valueStart: Int32(valueStart),
                             valueCount: value == nil ? -1 : Int32(bytes.count - valueStart)))
    }

    /// The position of the last header called `name` (Kafka allows repeats; the last one wins).
    func lastIndex(named name: String) -> Int? {
        var name = name
        return name.withUTF8 { target in
            bytes.withUnsafeBufferPointer { buffer in
                for index in entries.indices.reversed() where Int(entries[index].nameCount) == target.count {
                    let start = Int(entries[index].nameStart)
                    if target.isEmpty || memcmp(buffer.baseAddress! + start, target.baseAddress!, target.count) == 0 { return index }
                }
                return nil
            }
        }
    }

    /// The value of header `index` as a view into the buffer (no copy); nil when it has none.
    func value(at index: Int) -> ArraySlice<UInt8>? {
        let entry = entries[index]
        guard entry.valueCount >= 0 else { return nil }
        return bytes[Int(entry.valueStart)..<Int(entry.valueStart) + Int(entry.valueCount)]
    }

    /// The value of the last header called `name`, as a view into the buffer.
    func lastValue(named name: String) -> ArraySlice<UInt8>? {
        lastIndex(named: name).flatMap { value(at: $0) }
    }

    func unpacked() -> [KafkaHeader] {
        entries.indices.map { index in
            let entry = entries[index]
            let name = String(decoding: bytes[Int(entry.nameStart)..<Int(entry.nameStart) + Int(entry.nameCount)], as: UTF8.self)
            return KafkaHeader(name: name, value: value(at: index).map { Array($0) })
        }
    }
}
