import Crypto

/// SHA-256: in lower-case hex for artifact digests, as raw bytes for result-cache fields.
public enum ContentDigest {
    /// Calls `body` with the 32 bytes of the SHA-256 of `bytes` (no string, no array).
    public static func withSHA256<R>(of bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        SHA256.hash(data: bytes).withUnsafeBytes(body)
    }

    /// The hex of the first `byteCount` bytes (at most 32) of the SHA-256 of `bytes`.
    public static func sha256Hex(of bytes: UnsafeRawBufferPointer, byteCount: Int = 32) -> String {
        // Written straight into the string's storage, no lookup table or byte array in between.
        let count = min(byteCount, SHA256.byteCount)
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
