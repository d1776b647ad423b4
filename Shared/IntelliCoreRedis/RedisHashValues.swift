/// What `RedisCache.hashGet` read: for each request, the value of each of its fields (absent
/// where the hash has none), as views of one buffer (the pipeline's replies as read), so that a
/// batch's thousand fields cost no array each.
public struct RedisHashValues: Sendable {
    /// A value's place in `bytes`; `count` -1: absent.
    private struct Span: Sendable {
        var start: Int
        var count: Int
    }

    private var bytes: [UInt8]
    private var spans: [Span] = []
    /// Per request, the end of its values in `spans`.
    private var ends: [Int] = []

    /// No requests; `append(request:)` adds them.
    public init() {
        bytes = []
    }

    /// Values to be added by `appendValue(start:count:)` as views of `bytes`.
    init(bytes: [UInt8], requests: Int, values: Int) {
        self.bytes = bytes
        spans.reserveCapacity(values)
        ends.reserveCapacity(requests)
    }

    mutating func appendValue(start: Int, count: Int) { spans.append(Span(start: start, count: count)) }
    mutating func appendAbsent() { spans.append(Span(start: 0, count: -1)) }
    mutating func endRequest() { ends.append(spans.count) }

    /// Adds a request whose values are `values` (nil: absent), copied in.
    public mutating func append(request values: some Sequence<[UInt8]?>) {
        for value in values {
            if let value {
                spans.append(Span(start: bytes.count, count: value.count))
                bytes.append(contentsOf: value)
            } else {
                appendAbsent()
            }
        }
        endRequest()
    }

    /// The number of requests.
    public var count: Int { ends.count }

    /// The number of values (fields asked) of request `request`.
    public func fieldCount(request: Int) -> Int {
        ends[request] - (request == 0 ? 0 : ends[request - 1])
    }

    /// Calls `body` with the value of field `field` of request `request`, nil when absent; the
    /// bytes are valid during the call.
    public func withValue<Result>(request: Int, field: Int, _ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result {
        precondition(field >= 0 && field < fieldCount(request: request), "field \(field) of a request of \(fieldCount(request: request))")
        let span = spans[(request == 0 ? 0 : ends[request - 1]) + field]
        guard span.count >= 0 else { return try body(nil) }
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[span.start..<span.start + span.count])) }
    }

    /// The values of request `request`, copied (for tests and the occasional caller).
    public func values(request: Int) -> [[UInt8]?] {
        (0..<fieldCount(request: request)).map { field in withValue(request: request, field: field) { $0.map { Array($0) } } }
    }

    /// Every request's values, copied.
    public var allValues: [[[UInt8]?]] { (0..<count).map(values(request:)) }

    /// How many values were present, of `valueCount` asked.
    public var found: Int { spans.reduce(0) { $0 + ($1.count >= 0 ? 1 : 0) } }
    public var valueCount: Int { spans.count }
}
