import CZlib

/// Streaming gzip decompression for `Content-Encoding: gzip` uploads: each compressed chunk comes
/// out as decompressed pieces of at most `outputSize` bytes, so a body of any size inflates in
/// constant memory. Concatenated gzip members (what `cat a.gz b.gz` makes) are read one after the other.
final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var ended = false

    init(outputSize: Int = 1 << 16) throws(UploadFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: outputSize)
        guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw UploadFailure(reason: .unreadable, message: "zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates `input`, handing each decompressed piece to `body`.
    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(UploadFailure) -> Void) throws(UploadFailure) {
        guard input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress!)
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 {
            if ended {
                // Another gzip member follows the one that ended.
                guard inflateReset(stream) == Z_OK else { throw UploadFailure(reason: .unreadable, message: "zlib could not restart") }
                ended = false
            }
            let (status, produced) = output.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && produced > 0) else {
                throw UploadFailure(reason: .unreadable, message: "the body is not valid gzip (Content-Encoding: gzip); zlib says \(Self.describe(status))")
            }
            if produced > 0 { try emit(produced, body) }
            if status == Z_STREAM_END { ended = true }
            if status == Z_BUF_ERROR { break }
        }
        // Drain what fits no more in the output for this input.
        while !ended, stream.pointee.avail_in == 0 {
            let (status, produced) = output.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            guard produced > 0 else { break }
            try emit(produced, body)
            if status == Z_STREAM_END { ended = true }
        }
    }

    private func emit(_ produced: Int, _ body: (UnsafeRawBufferPointer) throws(UploadFailure) -> Void) throws(UploadFailure) {
        var failure: UploadFailure?
        output.withUnsafeBytes { buffer in
            do throws(UploadFailure) {
                try body(UnsafeRawBufferPointer(rebasing: buffer[..<produced]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Throws unless the last gzip member ended: a truncated stream is not a whole upload.
    func finish() throws(UploadFailure) {
        guard ended else {
            throw UploadFailure(reason: .unreadable, message: "the gzip stream ends before its last block (a truncated upload?)")
        }
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case Z_DATA_ERROR: "corrupt data"
        case Z_MEM_ERROR: "out of memory"
        case Z_STREAM_ERROR: "stream error"
        default: "status \(status)"
        }
    }
}
