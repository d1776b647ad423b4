/// Writes `PredictionCompleted` and `PredictionFailed` JSON straight into bytes (the hot path's
/// answer to Foundation's `JSONEncoder`, ~15 µs per result). Key names and shapes match
/// `EventCodec`'s encoding of the same events; `OIPResultEncoderTests` checks that.
public struct OIPResultEncoder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public static func completed(id: String, model: String, version: Int, outputName: String, rows: Int, columns: Int,
                          values: UnsafeBufferPointer<Float>, shadow: Bool, queueSeconds: Double, computeSeconds: Double,
                          totalSeconds: Double) -> [UInt8] {
        // Sized once: the fixed text (~190 bytes), the names, and up to 16 bytes a value.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(224 + id.utf8.count + model.utf8.count + outputName.utf8.count + 16 * values.count)
        var id = id
        id.withUTF8 { id in
            completed(into: &bytes, id: UnsafeRawBufferPointer(id), model: model, version: version, outputName: outputName, rows: rows,
                      columns: columns, values: values, shadow: shadow, queueSeconds: queueSeconds, computeSeconds: computeSeconds,
                      totalSeconds: totalSeconds)
        }
        return bytes
    }

    /// The same, appended to `buffer` (an arena shared by a batch's answers); `id` is UTF-8.
    public static func completed(into buffer: inout [UInt8], id: UnsafeRawBufferPointer, model: String, version: Int, outputName: String,
                                 rows: Int, columns: Int, values: UnsafeBufferPointer<Float>, shadow: Bool, queueSeconds: Double,
                                 computeSeconds: Double, totalSeconds: Double) {
        var encoder = OIPResultEncoder(capacity: 0)
        swap(&encoder.bytes, &buffer)
        defer { swap(&encoder.bytes, &buffer) }
        encoder.raw("{\"id\":"); encoder.string(id)
        encoder.raw(",\"model_name\":"); encoder.string(model)
        encoder.raw(",\"model_version\":\""); encoder.integer(version)
        encoder.raw("\",\"outputs\":[{\"datatype\":\"FP32\",\"name\":"); encoder.string(outputName)
        encoder.raw(",\"shape\":["); encoder.integer(rows); encoder.raw(","); encoder.integer(columns)
        encoder.raw("],\"data\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { encoder.bytes.append(UInt8(ascii: ",")) }
            encoder.float(value)
        }
        encoder.raw("]}],\"shadow\":"); encoder.raw(shadow ? "true" : "false")
        encoder.raw(",\"timings\":{\"compute_seconds\":"); encoder.double(computeSeconds)
        encoder.raw(",\"queue_seconds\":"); encoder.double(queueSeconds)
        encoder.raw(",\"total_seconds\":"); encoder.double(totalSeconds)
        encoder.raw("}}")
    }

    public static func failed(id: String, model: String?, version: Int?, code: String, message: String, shadow: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        var id = id
        id.withUTF8 { id in
            failed(into: &bytes, id: UnsafeRawBufferPointer(id), model: model, version: version, code: code, message: message, shadow: shadow)
        }
        return bytes
    }

    /// The same, appended to `buffer`; `id` is UTF-8.
    public static func failed(into buffer: inout [UInt8], id: UnsafeRawBufferPointer, model: String?, version: Int?, code: String,
                              message: String, shadow: Bool) {
        var encoder = OIPResultEncoder(capacity: 0)
        swap(&encoder.bytes, &buffer)
        defer { swap(&encoder.bytes, &buffer) }
        encoder.raw("{\"id\":"); encoder.string(id)
        if let model { encoder.raw(",\"model_name\":"); encoder.string(model) }
        if let version { encoder.raw(",\"model_version\":\""); encoder.integer(version); encoder.raw("\"") }
        encoder.raw(",\"code\":"); encoder.string(code)
        encoder.raw(",\"message\":"); encoder.string(message)
        if shadow { encoder.raw(",\"shadow\":true") }
        encoder.raw("}")
    }

    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string(UnsafeRawBufferPointer($0)) }
    }

    /// UTF-8 bytes as a JSON string, escaped where JSON requires it.
    mutating func string(_ text: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(92); bytes.append(34)
            case UInt8(ascii: "\\"): bytes.append(92); bytes.append(92)
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                bytes.append(92); bytes.append(UInt8(ascii: "u")); bytes.append(48); bytes.append(48)
                bytes.append(hex.utf8Start[Int(byte >> 4)]); bytes.append(hex.utf8Start[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Decimal digits written in place (no `String` per number).
    mutating func integer(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    mutating func float(_ value: Float) {
        guard value.isFinite else { bytes.append(contentsOf: "null".utf8); return }
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Timings, to the microsecond, written in place: `0.000123`, `1.5`. Values past a billion
    /// seconds (never a timing) are written in full.
    mutating func double(_ value: Double) {
        guard value.isFinite else { bytes.append(contentsOf: "0".utf8); return }
        guard abs(value) < 1e9 else { bytes.append(contentsOf: value.description.utf8); return }
        let micros = Int((abs(value) * 1e6).rounded())
        if value < 0 && micros > 0 { bytes.append(UInt8(ascii: "-")) }
        integer(micros / 1_000_000)
        var fraction = micros % 1_000_000
        bytes.append(UInt8(ascii: "."))
        guard fraction > 0 else { bytes.append(UInt8(ascii: "0")); return }
        var divisor = 100_000
        while fraction > 0 {
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }
}
