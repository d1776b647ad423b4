import Foundation
import IntelliCoreRedis
import Logging
import Metrics
import Synchronization

/// A token bucket's size: `burst` requests at once, refilled at `perSecond`.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public let perSecond: Double
    public let burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    public var description: String { "\(perSecond)/s, burst \(burst)" }
}

/// Token buckets shared by every replica: one Redis round trip per request, an atomic script on
/// Redis's own clock. When Redis cannot be reached, each replica keeps a bucket of its own (so the
/// limit holds per replica) and counts it — losing the cache never refuses all traffic.
public final class RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        case refused(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var at: ContinuousClock.Instant
    }

    private let cache: RedisCache
    private let local = Mutex<[String: Bucket]>([:])
    private let refused = Counter(label: "intellicore_rate_limit_refused_total")
    private let localDecisions = Counter(label: "intellicore_rate_limit_local_fallback_total")

    public init(cache: RedisCache) {
        self.cache = cache
    }

    /// Takes one token from `key`'s bucket.
    public func take(key: String, limit: RateLimit) async -> Decision {
        let decision: Decision
        if let answer = await cache.evalIntegers(Self.script, keys: [key], arguments: [String(limit.burst), String(limit.perSecond)]),
           answer.count == 2 {
            decision = answer[0] == 1 ? .allowed : .refused(retryAfterSeconds: max(1, Int((Double(answer[1]) / 1000).rounded(.up))))
        } else {
            localDecisions.increment()
            decision = takeLocally(key: key, limit: limit)
        }
        if case .refused = decision { refused.increment() }
        return decision
    }

    /// The same bucket in this process's memory.
    func takeLocally(key: String, limit: RateLimit, now: ContinuousClock.Instant = .now) -> Decision {
        local.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), at: now)
            let elapsed = Double((now - bucket.at) / .milliseconds(1)) / 1000
            bucket.tokens = min(Double(limit.burst), bucket.tokens + elapsed * limit.perSecond)
            bucket.at = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return .refused(retryAfterSeconds: max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up))))
            }
            bucket.tokens -= 1
            return .allowed
        }
    }

    /// KEYS[1]: the bucket; ARGV: burst, tokens per second. Answers {1, 0} when a token was taken,
    /// {0, milliseconds until one is there} otherwise. The bucket expires once it would be full.
    static let script = """
        local burst = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
        local allowed, wait = 0, 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          wait = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return {allowed, wait}
        """
}
