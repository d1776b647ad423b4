import Foundation
import IntelliCoreRedis
import IntelliCoreServiceKit
import Testing

/// Token buckets in Redis shared by replicas, and a bucket per replica while Redis is down.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RateLimiterTests {
    @Test func replicasShareOneBucketInRedis() async throws {
        let env = try IntegrationEnvironment.load()
        func replica() -> RateLimiter {
            RateLimiter(cache: RedisCache(configuration: RedisConfiguration(host: env.redisHost, port: env.redisPort), name: "it-rl", logger: env.logger))
        }
        let (a, b) = (replica(), replica())
        let key = "it:rl:\(UInt32.random(in: 0...UInt32.max))"
        // One token per 10 s: a slow machine cannot refill one between the four takes.
        let limit = RateLimit(perSecond: 0.1, burst: 3)
        var decisions: [RateLimiter.Decision] = []
        for limiter in [a, b, a, b] { decisions.append(await limiter.take(key: key, limit: limit)) }
        try #require(decisions.count == 4)
        #expect(Array(decisions.prefix(3)) == [.allowed, .allowed, .allowed], "\(decisions)")
        guard case .refused(let seconds) = decisions[3] else { Issue.record("the fourth take must be refused: \(decisions)"); return }
        #expect((1...10).contains(seconds), "Retry-After \(seconds) s for a 10 s refill")
        // Another key has its own bucket.
        #expect(await b.take(key: key + ":other", limit: limit) == .allowed)
    }

    @Test func withRedisDownEachReplicaLimitsOnItsOwn() async throws {
        _ = try IntegrationEnvironment.load()
        let server = try RedisCacheTests.RedisServer()
        let cache = RedisCache(configuration: RedisConfiguration(port: server.port, maximumReconnectDelay: .milliseconds(300)),
                               name: "it-rl-down", logger: try IntegrationEnvironment.load().logger)
        #expect(try await eventually(timeout: .seconds(10)) { await cache.ping() })
        try await server.stop()
        let limiter = RateLimiter(cache: cache)
        let limit = RateLimit(perSecond: 0.1, burst: 2)
        var decisions: [RateLimiter.Decision] = []
        for _ in 0..<3 { decisions.append(await limiter.take(key: "k", limit: limit)) }
        try #require(decisions.count == 3)
        #expect(Array(decisions.prefix(2)) == [.allowed, .allowed], "traffic goes on while Redis is down: \(decisions)")
        guard case .refused(let seconds) = decisions[2] else { Issue.record("the bucket still limits, per replica: \(decisions)"); return }
        #expect((1...10).contains(seconds))
    }
}
