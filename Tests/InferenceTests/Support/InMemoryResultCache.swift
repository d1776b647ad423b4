@testable import Inference
import Synchronization

/// The result cache as a dictionary of hashes (expiry ignored: a test lives shorter than a bucket).
final class InMemoryResultCache: ResultCache {
    private let hashes = Mutex<[String: [String: [UInt8]]]>([:])
    private let reads = Mutex(0)

    func hashGet(_ requests: [(key: String, fields: [String])]) async -> [[[UInt8]?]] {
        reads.withLock { $0 += 1 }
        return hashes.withLock { hashes in requests.map { request in request.fields.map { hashes[request.key]?[$0] } } }
    }

    func hashSet(_ writes: [(key: String, entries: [(field: String, value: [UInt8])])], ttl: Duration) async {
        hashes.withLock { hashes in
            for write in writes {
                for entry in write.entries { hashes[write.key, default: [:]][entry.field] = entry.value }
            }
        }
    }

    /// Fields stored over all hashes.
    var entryCount: Int { hashes.withLock { $0.values.reduce(0) { $0 + $1.count } } }
    var readCount: Int { reads.withLock { $0 } }
}
