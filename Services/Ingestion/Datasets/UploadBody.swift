import Crypto
import Hummingbird
import IntelliCoreEvents

/// An upload's request body as the upload reads it: chunk by chunk, hashed as sent (a retry with
/// the same `Idempotency-Key` must send the same bytes), inflated when gzip, and cut off past
/// the configured maximum.
struct UploadBody {
    private var iterator: RequestBody.AsyncIterator
    private let inflater: GzipInflater?
    /// Only an upload with an `Idempotency-Key` needs its digest.
    private var hasher: SHA256?
    let maxBytes: Int
    /// Bytes read, decompressed.
    private(set) var bytes = 0

    init(_ iterator: RequestBody.AsyncIterator, format: UploadFormat, encoding: DatasetUpload.Encoding, maxBytes: Int,
         inflater: GzipInflater?, hashed: Bool) {
        self.iterator = iterator
        self.inflater = inflater
        self.maxBytes = maxBytes
        if hashed {
            var hasher = SHA256()
            hasher.update(data: Array("\(format.rawValue) \(encoding)\n".utf8))
            self.hasher = hasher
        }
    }

    /// Reads the next chunk and hands its (decompressed) bytes to `sink`; false once the body
    /// ended. With no sink the chunk is only hashed.
    mutating func next(_ sink: ((UnsafeRawBufferPointer) -> Void)?) async throws -> Bool {
        guard let chunk = try await iterator.next() else { return false }
        if hasher != nil { chunk.withUnsafeReadableBytes { hasher!.update(bufferPointer: $0) } }
        guard let sink else { return true }
        var decoded = 0
        if let inflater {
            let limit = maxBytes - bytes
            try chunk.withUnsafeReadableBytes { (raw) throws in
                try inflater.inflate(raw) { piece throws(UploadFailure) in
                    decoded += piece.count
                    guard decoded <= limit else { throw Self.tooLarge(maxBytes) }
                    sink(piece)
                }
            }
        } else {
            decoded = chunk.readableBytes
            guard bytes + decoded <= maxBytes else { throw Self.tooLarge(maxBytes) }
            chunk.withUnsafeReadableBytes { sink($0) }
        }
        bytes += decoded
        return true
    }

    /// Throws when a gzip body stopped inside its stream.
    func finish() throws(UploadFailure) {
        try inflater?.finish()
    }

    /// SHA-256 of the format, the encoding and the bytes as sent, in hex; nil unless `hashed`.
    var digest: String? {
        hasher.map { $0.finalize().map { String(format: "%02x", $0) }.joined() }
    }

    private static func tooLarge(_ limit: Int) -> UploadFailure {
        UploadFailure(reason: .tooLarge, message: "the upload is larger than \(limit) bytes (decompressed), the most this service takes")
    }
}
