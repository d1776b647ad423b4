import Foundation
import IntelliCoreRedis
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RedisCacheTests {
    /// A Redis of this test's own, so stopping it touches nothing else.
    final class RedisServer {
        let port: Int
        private var process: ChildProcess?

        init() throws {
            port = try freePort()
            try start()
        }

        func start() throws {
            process = try ChildProcess(executable: "/usr/bin/redis-server", arguments: [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            ], environment: [:])
        }

        /// Stops Redis the hard way, as a crash would.
        func stop() async throws {
            process?.signal(SIGKILL)
            _ = try await process?.waitForExit(timeout: .seconds(10))
            process = nil
        }
    }

    @Test func cacheWorksThenMissesWhileRedisIsDownThenRecovers() async throws {
        _ = try IntegrationEnvironment.load()
        let server = try RedisServer()
        let cache = RedisCache(configuration: RedisConfiguration(port: server.port, maximumReconnectDelay: .milliseconds(300)),
                               name: "it", logger: try IntegrationEnvironment.load().logger)
        #expect(try await eventually(timeout: .seconds(10)) { await cache.ping() })
        await cache.set([("a", Array("1".utf8)), ("b", Array("2".utf8))], ttl: .seconds(60))
        #expect(await cache.mget(["a", "missing", "b"]) == [Array("1".utf8), nil, Array("2".utf8)])
        await cache.set("short", value: [1], ttl: .milliseconds(50))
        #expect(try await eventually(timeout: .seconds(5)) { await cache.get("short") == nil }, "TTL not applied")

        // The same 60 calls with Redis up, then down: down, each call answers a miss at once
        // (a reconnect is tried at most every 300 ms), so the calls take no longer than round
        // trips to a live Redis on this machine at this moment (a loaded full run slows both).
        let clock = ContinuousClock()
        var start = clock.now
        for _ in 0..<20 {
            _ = await cache.get("a")
            await cache.set("c", value: [3], ttl: .seconds(5))
            _ = await cache.mget(["a", "b"])
        }
        let up = clock.now - start
        try await server.stop()
        start = clock.now
        for _ in 0..<20 {
            #expect(await cache.get("a") == nil)
            await cache.set("c", value: [3], ttl: .seconds(5))
            #expect(await cache.mget(["a", "b"]) == [nil, nil])
        }
        let down = clock.now - start
        print("RedisCacheTests: 60 calls took \(up) with Redis up, \(down) with Redis down")
        #expect(down < max(.seconds(5), up * 3), "an unreachable Redis must not slow requests down (up: \(up), down: \(down))")
        #expect(!cache.isAvailable)

        try server.start()
        #expect(try await eventually(timeout: .seconds(10)) {
            await cache.set("d", value: [4], ttl: .seconds(60))
            return await cache.get("d") == [4]
        })
        #expect(cache.isAvailable)
        try await server.stop()
    }

    /// Hash fields and values are bytes, not text: fields with zero bytes, CR LF and high bytes
    /// are written and read back exactly, each value under its own field, misses as nil, and a
    /// hash expires as a whole.
    @Test func hashFieldsAndValuesAreBinary() async throws {
        let environment = try IntegrationEnvironment.load()
        let server = try RedisServer()
        let cache = RedisCache(configuration: RedisConfiguration(port: server.port), name: "it-hash", logger: environment.logger)
        #expect(try await eventually(timeout: .seconds(10)) { await cache.ping() })
        let fieldBytes: [[UInt8]] = [[0, 0, 0, 1], [13, 10, 0xFF, 0], [0x80], Array(repeating: 0, count: 16)]
        let valueBytes: [[UInt8]] = [[1, 2, 3], [], [0, 13, 10], Array(0...255)]
        var fields = RedisArguments(), entries = RedisArguments()
        try #require(fieldBytes.count == valueBytes.count)
        for (field, value) in zip(fieldBytes, valueBytes) {
            fields.append(field)
            entries.append(field)
            entries.append(value)
        }
        await cache.hashSet([(key: "h", entries: entries)], ttl: .seconds(60))
        var asked = fields
        asked.append([0, 0, 0, 2])
        let read = await cache.hashGet([(key: "h", fields: asked), (key: "other", fields: RedisArguments()), (key: "absent", fields: fields)]).allValues
        try #require(read.count == 3)
        #expect(read[0] == valueBytes.map { Optional($0) } + [nil])
        #expect(read[1].isEmpty)
        #expect(read[2] == Array(repeating: nil, count: fieldBytes.count))

        var mismatched = RedisArguments()
        mismatched.append([9])
        await cache.hashSet([(key: "m", entries: mismatched)], ttl: .seconds(60))
        #expect(await cache.hashGet([(key: "m", fields: mismatched)]).allValues == [[nil]], "a write with a field but no value is skipped")

        await cache.hashSet([(key: "short", entries: entries)], ttl: .milliseconds(50))
        #expect(try await eventually(timeout: .seconds(5)) {
            await cache.hashGet([(key: "short", fields: fields)]).allValues == [Array(repeating: nil, count: fieldBytes.count)]
        }, "the hash's TTL was not applied")
        try await server.stop()
    }

    /// Replies are read into one buffer per pipeline (not hiredis's reply objects): a thousand
    /// fields of several hashes in one pipeline, hits and misses interleaved, come back in order;
    /// a reply of the wrong shape (an error for a key that is not a hash) is all misses for its
    /// request only; the few-value commands (PING, MGET, EVAL) read the same replies as values.
    @Test func largePipelinesAndErrorRepliesReadInPlace() async throws {
        let environment = try IntegrationEnvironment.load()
        let server = try RedisServer()
        let cache = RedisCache(configuration: RedisConfiguration(port: server.port), name: "it-flat", logger: environment.logger)
        #expect(try await eventually(timeout: .seconds(10)) { await cache.ping() })
        func value(_ hash: Int, _ field: Int) -> [UInt8] { Array("v\(hash)-\(field)-".utf8) + Array(repeating: UInt8(field % 256), count: field % 40) }
        for hash in 0..<3 {
            var entries = RedisArguments()
            for field in stride(from: 0, to: 1000, by: 2) {
                entries.append(Array("f\(field)".utf8))
                entries.append(value(hash, field))
            }
            await cache.hashSet([(key: "big-\(hash)", entries: entries)], ttl: .seconds(60))
        }
        await cache.set("plain", value: [1], ttl: .seconds(60))
        var fields = RedisArguments()
        for field in 0..<1000 { fields.append(Array("f\(field)".utf8)) }
        let read = await cache.hashGet([(key: "big-0", fields: fields), (key: "plain", fields: fields), (key: "big-2", fields: fields),
                                        (key: "none", fields: RedisArguments()), (key: "big-1", fields: fields)])
        try #require(read.count == 5)
        for (request, hash) in [(0, 0), (2, 2), (4, 1)] {
            let expected = (0..<1000).map { $0.isMultiple(of: 2) ? Optional(value(hash, $0)) : nil }
            #expect(read.values(request: request) == expected, "hash \(hash): every even field, in order, odd ones missing")
        }
        #expect(read.values(request: 1) == Array(repeating: nil, count: 1000), "WRONGTYPE for a string key: all misses")
        #expect(read.fieldCount(request: 3) == 0)
        #expect(read.found == 1500 && read.valueCount == 4000)
        #expect(await cache.mget(["plain", "nothing"]) == [[1], nil])
        #expect(await cache.evalIntegers("return {1, 2, tonumber(ARGV[1])}", keys: [], arguments: ["42"]) == [1, 2, 42])
        #expect(await cache.evalIntegers("return redis.error_reply('no')", keys: [], arguments: []) == nil, "an error reply is no integers")
        #expect(await cache.ping(), "the connection survived the error replies")
        try await server.stop()
    }
}
