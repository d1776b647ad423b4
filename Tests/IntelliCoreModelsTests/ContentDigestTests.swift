import Crypto
import IntelliCoreModels
import Testing

struct ContentDigestTests {
    @Test func hexMatchesTheKnownVectors() {
        let abc = Array("abc".utf8).withUnsafeBytes { ContentDigest.sha256Hex(of: $0) }
        #expect(abc == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = [UInt8]().withUnsafeBytes { ContentDigest.sha256Hex(of: $0, byteCount: 16) }
        #expect(empty == "e3b0c44298fc1c149afbf4c8996fb924")
        // FIPS 180-2's two-block vector.
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8).withUnsafeBytes { ContentDigest.sha256Hex(of: $0) }
        #expect(twoBlocks == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// OpenSSL's digest (the cache fields, artifact digests) against swift-crypto's on random
    /// inputs of every length across the block and padding boundaries, read from unaligned slices.
    @Test func agreesWithSwiftCrypto() {
        var generator = SystemRandomNumberGenerator()
        let buffer = (0..<4200).map { _ in UInt8.random(in: 0...255, using: &generator) }
        buffer.withUnsafeBytes { all in
            for length in Array(0...300) + [511, 512, 1000, 4096] {
                let offset = Int.random(in: 0...3, using: &generator)
                let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                let ours = ContentDigest.withSHA256(of: slice) { Array($0) }
                let theirs = Array(SHA256.hash(data: slice))
                #expect(ours == theirs, "length \(length) at offset \(offset)")
            }
        }
    }
}
