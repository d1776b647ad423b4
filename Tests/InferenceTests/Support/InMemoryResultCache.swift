@testable import Inference
import IntelliCoreRedis
import Synchronization

/// The result cache as a dictionary of hashes (expiry ignored: a test lives shorter than a bucket).
final class InMemoryResultCache: ResultCache {
    private let hashes = Mutex<[String: [[UInt8]: [UInt8]]]>([:])
    private let reads = Mutex(0)

    func hashGet(_ requests: [(key: String, fields: RedisArguments)]) async -> RedisHashValues {
        reads.withLock { $0 += 1 }
        return hashes.withLock { hashes in
            var answers = RedisHashValues()
            for request in requests {
                var values: [[UInt8]?] = []
                request.fields.forEach { values.append(hashes[request.key]?[Array($0)]) }
                answers.append(request: values)
            }
            return answers
        }
    }

    func hashSet(_ writes: [(key: String, entries: RedisArguments)], ttl: Duration) async {
        hashes.withLock { hashes in
            for write in writes where write.entries.count.isMultiple(of: 2) {
                var arguments: [[UInt8]] = []
                write.entries.forEach { arguments.append(Array($0)) }
                for field in stride(from: 0, to: arguments.count, by: 2) {
                    hashes[write.key, default: [:]][arguments[field]] = arguments[field + 1]
                }
            }
        }
    }

    /// Fields stored over all hashes.
    var entryCount: Int { hashes.withLock { $0.values.reduce(0) { $0 + $1.count } } }
    var readCount: Int { reads.withLock { $0 } }
}
