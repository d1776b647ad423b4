/// Redis arguments packed into one buffer, binary-safe: a command, or the fields of a hash, built
/// from thousands of arguments costs a few allocations instead of one per argument.
public struct RedisArguments: Sendable {
    /// Every argument's bytes, one after the other.
    public private(set) var bytes: [UInt8] = []
    /// Each argument's length, in order.
    public private(set) var lengths: [Int] = []

    public init() {}

    /// A command and its first arguments, e.g. `RedisArguments("HMGET", key)`.
    public init(_ arguments: String...) {
        for argument in arguments { append(argument) }
    }

    /// `command key` followed by every argument of `rest`, in buffers sized once (a batch's
    /// HMGET or HSET carries thousands of fields: appending them grew both buffers several times).
    public init(command: String, key: String, then rest: RedisArguments) {
        reserveCapacity(arguments: 2 + rest.count, bytes: command.utf8.count + key.utf8.count + rest.bytes.count)
        append(command)
        append(key)
        append(contentsOf: rest)
    }

    public var count: Int { lengths.count }
    public var isEmpty: Bool { lengths.isEmpty }

    public mutating func reserveCapacity(arguments: Int, bytes byteCount: Int) {
        lengths.reserveCapacity(arguments)
        bytes.reserveCapacity(byteCount)
    }

    public mutating func append(_ argument: String) {
        append(argument.utf8)
    }

    public mutating func append(_ argument: some Sequence<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: argument)
        lengths.append(bytes.count - start)
    }

    /// Appends one argument from raw bytes. (Not generic: the generic `append` called from
    /// another module is not specialised, and looked up type metadata for every cache field.)
    public mutating func append(_ argument: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: argument)
        lengths.append(argument.count)
    }

    /// Appends every argument of `other`, in order (two copies, whatever their number).
    public mutating func append(contentsOf other: RedisArguments) {
        bytes.append(contentsOf: other.bytes)
        lengths.append(contentsOf: other.lengths)
    }

    /// Calls `body` with each argument's bytes, in order.
    public func forEach(_ body: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var offset = 0
        for length in lengths {
            try body(bytes[offset..<(offset + length)])
            offset += length
        }
    }
}
