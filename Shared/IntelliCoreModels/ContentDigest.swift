import Crypto

/// SHA-256 in lower-case hex, for artifact digests and result-cache keys.
public enum ContentDigest {
    /// The hex of the first `byteCount` bytes (at most 32) of the SHA-256 of `bytes`.
    public static func sha256Hex(of bytes: UnsafeRawBufferPointer, byteCount: Int = 32) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * byteCount)
        for byte in SHA256.hash(data: bytes).prefix(byteCount) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
