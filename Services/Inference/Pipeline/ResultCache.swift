import IntelliCoreRedis

/// Hashes of cached answers: Redis in production, a dictionary in tests. Both calls are best
/// effort: a read that fails answers misses, a write that fails is dropped.
protocol ResultCache: Sendable {
    /// For each `(key, fields)`, the value of each field (absent where the hash has none), in order.
    func hashGet(_ requests: [(key: String, fields: RedisArguments)]) async -> RedisHashValues
    /// Sets fields in each hash (`entries` alternate field and value), each hash expiring `ttl`
    /// after its first write.
    func hashSet(_ writes: [(key: String, entries: RedisArguments)], ttl: Duration) async
}

extension RedisCache: ResultCache {}
