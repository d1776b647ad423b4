#if canImport(Glibc)
import Glibc
#endif

/// A record's headers read once: where each header's name and value lie in the Headers field,
/// held in temporary storage for the duration of `KafkaRecordHeaders.withIndex`.
///
/// A consumer that looks up a dozen headers per record (the CloudEvents envelope, the reply
/// address) then reads the field's varints once instead of once per lookup; a lookup compares
/// lengths and names only. It is the one reader of the field: `KafkaRecordHeaders`' lookups,
/// count and iteration go through it. The last header of a name wins, and a malformed field has
/// no headers.
public struct KafkaHeaderIndex {
    struct Entry {
        var nameStart: Int32
        var nameCount: Int32
        var valueStart: Int32
        /// -1: the header has no value.
        var valueCount: Int32
    }

    let bytes: UnsafeRawBufferPointer
    let entries: UnsafeBufferPointer<Entry>
    /// False for a malformed field (whose index is empty).
    let isWellFormed: Bool

    /// The number of headers; 0 when there are none or the field is malformed.
    public var count: Int { entries.count }

    func name(at position: Int) -> UnsafeRawBufferPointer {
        let entry = entries[position]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(entry.nameStart)..<Int(entry.nameStart) + Int(entry.nameCount)])
    }

    /// nil: the header has no value.
    func value(at position: Int) -> UnsafeRawBufferPointer? {
        let entry = entries[position]
        guard entry.valueCount >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(entry.valueStart)..<Int(entry.valueStart) + Int(entry.valueCount)])
    }

    /// The value of the last header called `name` (empty for a header without a value); nil when
    /// there is none.
    public func last(named name: String) -> UnsafeRawBufferPointer? {
        var name = name
        return name.withUTF8 { target in
            var index = entries.count
            while index > 0 {
                index -= 1
                let entry = entries[index]
                guard Int(entry.nameCount) == target.count,
                      target.isEmpty || memcmp(bytes.baseAddress! + Int(entry.nameStart), target.baseAddress!, target.count) == 0
                else { continue }
                return value(at: index) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            }
            return nil
        }
    }
}

extension KafkaRecordHeaders {
    /// Reads the field once and calls `body` with an index of its headers. The index lives in
    /// temporary storage (on the stack for the few dozen headers a record carries) and is valid
    /// only during the call.
    public func withIndex<Result>(_ body: (KafkaHeaderIndex) throws -> Result) rethrows -> Result {
        let none = UnsafeBufferPointer<KafkaHeaderIndex.Entry>(start: nil, count: 0)
        var reader = Reader(bytes: bytes)
        // A field is at most a record's size, so positions fit in 32 bits (Kafka bounds a record
        // far below 2 GiB); a field that does not is treated as malformed.
        guard bytes.count <= Int(Int32.max), let count = reader.count() else {
            return try body(KafkaHeaderIndex(bytes: bytes, entries: none, isWellFormed: false))
        }
        guard count > 0 else { return try body(KafkaHeaderIndex(bytes: bytes, entries: none, isWellFormed: true)) }
        // Each header takes at least two bytes (two one-byte lengths): a count above that is malformed.
        guard count <= bytes.count / 2 else {
            return try body(KafkaHeaderIndex(bytes: bytes, entries: none, isWellFormed: false))
        }
        return try withUnsafeTemporaryAllocation(of: KafkaHeaderIndex.Entry.self, capacity: count) { storage in
            for position in 0..<count {
                guard let header = reader.header() else {
                    return try body(KafkaHeaderIndex(bytes: bytes, entries: none, isWellFormed: false))
                }
                let base = bytes.baseAddress!
                storage.initializeElement(at: position, to: KafkaHeaderIndex.Entry(
                    nameStart: Int32(header.name.baseAddress.map { $0 - base } ?? 0), nameCount: Int32(header.name.count),
                    valueStart: Int32(header.value?.baseAddress.map { $0 - base } ?? 0), valueCount: Int32(header.value?.count ?? -1)))
            }
            return try body(KafkaHeaderIndex(bytes: bytes, entries: UnsafeBufferPointer(storage), isWellFormed: true))
        }
    }
}
