import IntelliCoreModels

/// Where cached results live in Redis: one hash per (model, version, time bucket), one field per
/// input digest. A batch then costs one `HMGET` per group and bucket and one `HSET` per group —
/// a handful of commands instead of one per request (at ~2 000 commands a batch, Redis took a
/// third of the machine). A hash expires as a whole `2 × bucket` after it was created, and reads
/// look at the current and the previous bucket, so an entry lives between TTL/2 and TTL.
enum ResultCacheLayout {
    static func bucketSeconds(ttlSeconds: Int) -> Int { max(1, ttlSeconds / 2) }

    static func bucket(now: Double, ttlSeconds: Int) -> Int { Int(now) / bucketSeconds(ttlSeconds: ttlSeconds) }

    /// `ic:pred:v3:<tenant>:<model>:<version>:<bucket>`: tenants never share entries.
    static func key(_ group: ModelVersionKey, bucket: Int) -> String {
        "ic:pred:v3:\(group.tenant):\(group.model):\(group.version):\(bucket)"
    }

    /// The first 128 bits of the SHA-256 of the input rows, in hex.
    static func field(for values: UnsafeBufferPointer<Float>) -> String {
        ContentDigest.sha256Hex(of: UnsafeRawBufferPointer(values), byteCount: 16)
    }
}
