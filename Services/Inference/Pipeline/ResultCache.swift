import IntelliCoreRedis

/// Hashes of cached answers: Redis in production, a dictionary in tests. Both calls are best
/// effort: a read that fails answers misses, a write that fails is dropped.
protocol ResultCache: Sendable {
    /// For each `(key, fields)`, the value of each field (nil where absent), in order.
    func hashGet(_ requests: [(key: String, fields: [String])]) async -> [[[UInt8]?]]
    /// Sets the fields of each hash, each hash expiring `ttl` after this write.
    func hashSet(_ writes: [(key: String, entries: [(field: String, value: [UInt8])])], ttl: Duration) async
}

extension RedisCache: ResultCache {}
