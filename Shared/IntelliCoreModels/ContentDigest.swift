import CLibCrypto

/// SHA-256: in lower-case hex for artifact digests, as raw bytes for result-cache fields.
///
/// OpenSSL's implementation on a context in the caller's stack frame: inference digests every
/// request's inputs for its cache, and swift-crypto's `SHA256` allocates a context object per
/// digest, as do OpenSSL's EVP contexts (ADR 0018).
public enum ContentDigest {
    public static let byteCount = Int(SHA256_DIGEST_LENGTH)

    /// Calls `body` with the 32 bytes of the SHA-256 of `bytes` (no string, no array, no allocation).
    public static func withSHA256<R>(of bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var context = SHA256_CTX()
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &digest) { output in
            // The three calls fail only for a null context or output.
            SHA256_Init(&context)
            if let base = bytes.baseAddress { SHA256_Update(&context, base, bytes.count) }
            SHA256_Final(output.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
            return body(UnsafeRawBufferPointer(output))
        }
    }

    /// The hex of the first `byteCount` bytes (at most 32) of the SHA-256 of `bytes`.
    public static func sha256Hex(of bytes: UnsafeRawBufferPointer, byteCount: Int = 32) -> String {
        // Written straight into the string's storage, no lookup table or byte array in between.
        let count = min(byteCount, Self.byteCount)
        return withSHA256(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 2 * count) { text in
                for index in 0..<count {
                    let byte = raw[index]
                    let high = byte >> 4, low = byte & 15
                    text[2 * index] = high < 10 ? 0x30 + high : 0x57 + high
                    text[2 * index + 1] = low < 10 ? 0x30 + low : 0x57 + low
                }
                return 2 * count
            }
        }
    }
}
