import IntelliCoreModels
import IntelliCoreRedis

/// Where cached results live in Redis: one hash per (model, version, time bucket), one field per
/// input digest. A batch then costs one `HMGET` per group and bucket and one `HSET` per group —
/// a handful of commands instead of one per request (at ~2 000 commands a batch, Redis took a
/// third of the machine). A hash expires as a whole `2 × bucket` after it was created, and reads
/// look at the current and the previous bucket, so an entry lives between TTL/2 and TTL.
enum ResultCacheLayout {
    static func bucketSeconds(ttlSeconds: Int) -> Int { max(1, ttlSeconds / 2) }

    static func bucket(now: Double, ttlSeconds: Int) -> Int { Int(now) / bucketSeconds(ttlSeconds: ttlSeconds) }

    /// `ic:pred:v4:<tenant>:<model>:<version>:<bucket>`: tenants never share entries. (v4: fields
    /// are the digest's 16 raw bytes; v3 wrote them in hex.)
    static func key(_ group: ModelVersionKey, bucket: Int) -> String {
        "ic:pred:v4:\(group.tenant):\(group.model):\(group.version):\(bucket)"
    }

    /// A field: the first 128 bits of the SHA-256 of a job's input rows, held inline (no string).
    struct Field {
        static let byteCount = 16
        var bytes: (UInt64, UInt64) = (0, 0)

        /// Appends the field's 16 bytes as one argument.
        func append(to arguments: inout RedisArguments) {
            withUnsafeBytes(of: bytes) { arguments.append($0) }
        }
    }

    static func field(for values: UnsafeBufferPointer<Float>) -> Field {
        ContentDigest.withSHA256(of: UnsafeRawBufferPointer(values)) { digest in
            Field(bytes: (digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self), digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }
}
