import Foundation
import IntelliCoreServiceKit

/// New API keys: 32 random bytes from the system's generator, shown once, stored only as a hash.
enum APIKeyGenerator {
    /// `ic_` and 43 characters of base64url (RFC 4648 § 5, unpadded).
    static func key() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "ic_" + Base64URL.encode(Data(bytes))
    }

    /// `key_` and 16 hex digits: names a key in lists and revocations without revealing it.
    static func keyId() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
        return "key_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
