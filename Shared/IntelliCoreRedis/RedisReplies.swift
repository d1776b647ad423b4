/// The replies of one pipeline, flat, as `RedisReplySink` receives them from hiredis's reader:
/// every value in the order read (an array, then its elements, depth first) and every string's
/// bytes in one buffer. Reading a batch's `HMGET` of a thousand fields then costs no allocation
/// per field, where hiredis's own reply objects cost one or two each.
struct RedisReplies: Sendable {
    enum Kind: UInt8, Sendable {
        case string, status, error, integer, null, array
    }

    struct Item: Sendable {
        var kind: Kind
        /// A string's first byte in `bytes`, an integer's value, an array's element count.
        var value: Int64
        /// A string's byte count.
        var count: Int
    }

    private(set) var items: [Item] = []
    private(set) var bytes: [UInt8] = []
    /// Where each reply (a top-level value) starts in `items`.
    private(set) var roots: [Int] = []

    var count: Int { roots.count }

    mutating func removeAll() {
        items.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        roots.removeAll(keepingCapacity: true)
    }

    /// Marks the start of the next reply: the next value appended is its top-level value.
    mutating func beginReply() { roots.append(items.count) }

    mutating func appendString(_ kind: Kind, _ text: UnsafeRawBufferPointer) {
        items.append(Item(kind: kind, value: Int64(bytes.count), count: text.count))
        bytes.append(contentsOf: text)
    }

    mutating func appendInteger(_ value: Int64) { items.append(Item(kind: .integer, value: value, count: 0)) }
    mutating func appendNull() { items.append(Item(kind: .null, value: 0, count: 0)) }
    mutating func appendArray(count: Int) { items.append(Item(kind: .array, value: Int64(count), count: 0)) }

    /// Whether every reply is exactly one complete value: what hiredis read and what was kept
    /// agree (a value hiredis made without calling the sink, say of a RESP3 type this client never
    /// asks for, would shift every later one).
    var isComplete: Bool {
        for (index, root) in roots.enumerated() {
            guard let end = end(of: root), end == (index + 1 < roots.count ? roots[index + 1] : items.count) else { return false }
        }
        return true
    }

    /// The position after the value at `position` and all it holds; nil when it runs past the end.
    private func end(of position: Int) -> Int? {
        guard position < items.count else { return nil }
        var next = position + 1
        if items[position].kind == .array {
            for _ in 0..<max(0, Int(items[position].value)) {
                guard let end = end(of: next) else { return nil }
                next = end
            }
        }
        return next
    }

    /// Where the elements of reply `index` start in `items`, when it is an array of `count`
    /// values that hold nothing (strings, integers, nils); nil otherwise.
    func elements(ofArrayReply index: Int, count: Int) -> Int? {
        guard index < roots.count else { return nil }
        let root = roots[index]
        guard items[root].kind == .array, items[root].value == Int64(count), root + count < items.count else { return nil }
        for position in root + 1..<root + 1 + count where items[position].kind == .array { return nil }
        return root + 1
    }

    /// The bytes of the string item at `position`.
    func withBytes<Result>(of position: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let item = items[position]
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Int(item.value)..<Int(item.value) + item.count])) }
    }

    /// Reply `index` as a `Reply` value (for the few-value commands: PING, MGET, EVAL, setup).
    func reply(at index: Int) -> Reply {
        var position = roots[index]
        return reply(from: &position)
    }

    private func reply(from position: inout Int) -> Reply {
        let here = position
        let item = items[here]
        position += 1
        switch item.kind {
        case .string: return .string(withBytes(of: here) { Array($0) })
        case .status: return .status(withBytes(of: here) { String(decoding: $0, as: UTF8.self) })
        case .error: return .error(withBytes(of: here) { String(decoding: $0, as: UTF8.self) })
        case .integer: return .integer(item.value)
        case .null: return .null
        case .array:
            var elements: [Reply] = []
            elements.reserveCapacity(Int(item.value))
            for _ in 0..<Int(item.value) { elements.append(reply(from: &position)) }
            return .array(elements)
        }
    }

    /// Whether any reply is an error, at any depth.
    var containsError: Bool { items.contains { $0.kind == .error } }
}
