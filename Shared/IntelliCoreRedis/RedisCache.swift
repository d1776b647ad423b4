import IntelliCoreConcurrency
import Logging
import Metrics

/// A cache in Redis that never fails a request.
///
/// Calls run on a dedicated thread (hiredis blocks). When Redis is down or slow, reads miss and
/// writes are dropped, with one warning per outage and the metric `intellicore_cache_errors_total`.
public final class RedisCache: Sendable {
    private let thread: DedicatedThread
    /// `@unchecked Sendable` box: the connection is touched only on `thread`.
    private let connection: ConnectionBox
    private let availableFlag = AtomicFlag()
    private let hits: Counter
    private let misses: Counter
    private let errors: Counter
    private let availability: Gauge

    public init(configuration: RedisConfiguration, name: String = "default", logger: Logger) {
        thread = DedicatedThread(name: "redis-\(name)")
        connection = ConnectionBox(RedisConnection(configuration: configuration, logger: logger))
        hits = Counter(label: "intellicore_cache_hits_total", dimensions: [("cache", name)])
        misses = Counter(label: "intellicore_cache_misses_total", dimensions: [("cache", name)])
        errors = Counter(label: "intellicore_cache_errors_total", dimensions: [("cache", name)])
        availability = Gauge(label: "intellicore_cache_available", dimensions: [("cache", name)])
        let flag = availableFlag
        let gauge = availability
        connection.value.onAvailabilityChange = { up in
            flag.set(up)
            gauge.record(up ? 1 : 0)
        }
    }

    deinit {
        thread.shutdown()
    }

    /// Whether the last call reached Redis.
    public var isAvailable: Bool { availableFlag.isSet }

    public func get(_ key: String) async -> [UInt8]? {
        await mget([key])[0]
    }

    /// Reads many keys in one round trip; an unreachable Redis answers all misses.
    public func mget(_ keys: [String]) async -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        var command = RedisArguments("MGET")
        for key in keys { command.append(key) }
        let values: [[UInt8]?]
        if let replies = await run([command]), case .array(let items) = replies.reply(at: 0), items.count == keys.count {
            values = items.map { $0.bytes }
        } else {
            values = Array(repeating: nil, count: keys.count)
        }
        recordLookups(found: values.reduce(0) { $0 + ($1 == nil ? 0 : 1) }, asked: keys.count)
        return values
    }

    func recordLookups(found: Int, asked: Int) {
        hits.increment(by: found)
        misses.increment(by: asked - found)
    }

    public func set(_ key: String, value: [UInt8], ttl: Duration) async {
        await set([(key, value)], ttl: ttl)
    }

    /// Writes many entries with one expiry in one pipelined round trip.
    public func set(_ entries: [(key: String, value: [UInt8])], ttl: Duration) async {
        guard !entries.isEmpty else { return }
        let milliseconds = String(max(1, ttl.totalMilliseconds))
        let commands = entries.map { entry in
            var command = RedisArguments("SET", entry.key)
            command.append(entry.value)
            command.append("PX")
            command.append(milliseconds)
            return command
        }
        _ = await run(commands)
    }

    /// Round trip to Redis; false when it cannot be reached.
    public func ping() async -> Bool {
        guard let replies = await run([RedisArguments("PING")]), case .status = replies.reply(at: 0) else { return false }
        return true
    }

    func run(_ commands: [RedisArguments]) async -> RedisReplies? {
        let outcome = try? await thread.run { [connection] () -> RedisReplies? in
            try? connection.value.pipeline(commands)
        }
        guard let replies = outcome ?? nil else {
            errors.increment()
            return nil
        }
        if replies.containsError { errors.increment() }
        return replies
    }
}

/// `@unchecked Sendable`: the connection is only used on the cache's dedicated thread.
final class ConnectionBox: @unchecked Sendable {
    let value: RedisConnection
    init(_ value: RedisConnection) { self.value = value }
}

extension RedisCache {
    /// Reads fields of several hashes in one pipelined round trip (`HMGET` per hash): for each
    /// request, the value of each of its fields (absent where the hash has none), in order. An
    /// unreachable Redis answers all misses. The values are read in place from the pipeline's
    /// replies: no allocation per field.
    public func hashGet(_ requests: [(key: String, fields: RedisArguments)]) async -> RedisHashValues {
        let wanted = requests.filter { !$0.fields.isEmpty }
        let replies = wanted.isEmpty ? nil : await run(wanted.map { RedisArguments(command: "HMGET", key: $0.key, then: $0.fields) })
        var answers = RedisHashValues(bytes: replies?.bytes ?? [], requests: requests.count, values: requests.reduce(0) { $0 + $1.fields.count })
        var replyIndex = 0
        for request in requests {
            defer { answers.endRequest() }
            guard !request.fields.isEmpty else { continue }
            defer { replyIndex += 1 }
            // An HMGET answers an array of one bulk string or nil per field; anything else is all misses.
            guard let replies, let first = replies.elements(ofArrayReply: replyIndex, count: request.fields.count) else {
                for _ in 0..<request.fields.count { answers.appendAbsent() }
                continue
            }
            for position in first..<first + request.fields.count {
                let item = replies.items[position]
                if item.kind == .string { answers.appendValue(start: Int(item.value), count: item.count) } else { answers.appendAbsent() }
            }
        }
        recordLookups(found: answers.found, asked: answers.valueCount)
        return answers
    }

    /// Writes fields into several hashes in one pipelined round trip. Each write's `entries`
    /// alternate field and value, as `HSET` takes them (a write with an odd count is skipped).
    /// Each hash gets `ttl` when it is created (`PEXPIRE … NX`), so a hash expires as a whole.
    public func hashSet(_ writes: [(key: String, entries: RedisArguments)], ttl: Duration) async {
        let milliseconds = String(max(1, ttl.totalMilliseconds))
        var commands: [RedisArguments] = []
        for write in writes where !write.entries.isEmpty && write.entries.count.isMultiple(of: 2) {
            commands.append(RedisArguments(command: "HSET", key: write.key, then: write.entries))
            commands.append(RedisArguments("PEXPIRE", write.key, milliseconds, "NX"))
        }
        guard !commands.isEmpty else { return }
        _ = await run(commands)
    }

    /// Runs a Lua script (`EVAL`) that answers an array of integers; nil when Redis cannot be
    /// reached or answers anything else.
    public func evalIntegers(_ script: String, keys: [String], arguments: [String]) async -> [Int64]? {
        var command = RedisArguments("EVAL", script, String(keys.count))
        for key in keys { command.append(key) }
        for argument in arguments { command.append(argument) }
        guard let replies = await run([command]), case .array(let items) = replies.reply(at: 0) else { return nil }
        var numbers: [Int64] = []
        for item in items {
            guard case .integer(let value) = item else { return nil }
            numbers.append(value)
        }
        return numbers
    }
}
