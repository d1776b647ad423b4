import CZlib
import Foundation
import IntelliCoreEvents

/// Turns artifacts into the compressed, digested form that travels in `ModelVersionRegistered`
/// and back, verifying the digest.
public enum ArtifactCodec {
    /// gzip + base64 of the artifact's JSON, with `sha256:` of the uncompressed bytes.
    public static func encode(_ artifact: FeedForwardArtifact) throws -> EncodedArtifact {
        let json = try EventCodec.encode(artifact)
        let compressed = try gzip(json)
        return EncodedArtifact(format: FeedForwardArtifact.format, encoding: "gzip+base64", digest: digest(json),
                               sizeBytes: json.count, data: Data(compressed).base64EncodedString())
    }

    /// The artifact's uncompressed JSON bytes, after checking format, encoding and digest.
    public static func unpack(_ encoded: EncodedArtifact) throws -> [UInt8] {
        guard encoded.format == FeedForwardArtifact.format else {
            throw ModelError(.unsupportedFormat, "artifact format \(encoded.format) is not \(FeedForwardArtifact.format)")
        }
        guard let raw = Data(base64Encoded: encoded.data) else {
            throw ModelError(.corruptArtifact, "artifact data is not base64")
        }
        let bytes: [UInt8]
        switch encoded.encoding {
        case "gzip+base64": bytes = try gunzip(Array(raw), expectedSize: encoded.sizeBytes)
        case "base64": bytes = Array(raw)
        default: throw ModelError(.unsupportedFormat, "artifact encoding \(encoded.encoding) is not gzip+base64 or base64")
        }
        guard digest(bytes) == encoded.digest else {
            throw ModelError(.digestMismatch, "artifact digest does not match its content")
        }
        return bytes
    }

    public static func decode(json: [UInt8]) throws -> FeedForwardArtifact {
        do {
            return try EventCodec.decode(FeedForwardArtifact.self, from: json)
        } catch {
            throw ModelError(.corruptArtifact, "artifact JSON: \(error)")
        }
    }

    public static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + bytes.withUnsafeBytes { ContentDigest.sha256Hex(of: $0) }
    }

    static func gzip(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ModelError(.corruptArtifact, "zlib deflateInit failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let status = finish(&stream, input: input, output: &output) { deflate($0, Z_FINISH) }
        guard status == Z_STREAM_END else { throw ModelError(.corruptArtifact, "zlib deflate failed (\(status))") }
        return Array(output.prefix(Int(stream.total_out)))
    }

    static func gunzip(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        guard expectedSize >= 0, expectedSize <= 1 << 30 else { throw ModelError(.corruptArtifact, "implausible artifact size") }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ModelError(.corruptArtifact, "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(expectedSize, 1))
        let status = finish(&stream, input: input, output: &output) { inflate($0, Z_FINISH) }
        guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
            throw ModelError(.corruptArtifact, "artifact does not decompress to its declared size")
        }
        return output
    }

    /// Points the stream at the whole input and output and runs one finishing step.
    private static func finish(_ stream: inout z_stream, input: [UInt8], output: inout [UInt8],
                               step: (UnsafeMutablePointer<z_stream>) -> Int32) -> Int32 {
        var source = input
        return source.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return step(&stream)
            }
        }
    }
}
