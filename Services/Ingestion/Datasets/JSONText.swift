/// Writing JSON straight into bytes, and reading numbers straight from them: the upload path
/// turns millions of fields into `DatasetRecordsAppended` payloads without a `String`, a
/// `JSONValue` or an encoder per value.
enum JSONText {
    /// Appends `bytes` (UTF-8) as a JSON string, quotes included.
    static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var plain = true
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            output.append(contentsOf: bytes)
        } else {
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case UInt8(ascii: "\t"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                               hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: output.append(byte)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    static func appendString(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString($0, to: &output) }
    }

    static func appendInteger(_ value: Int, to output: inout [UInt8]) {
        output.append(contentsOf: String(value).utf8)
    }

    /// Appends a finite double in the shortest form that reads back as the same value.
    static func appendNumber(_ value: Double, to output: inout [UInt8]) {
        output.append(contentsOf: value.description.utf8)
    }

    /// A decimal number as people write it in CSV: an optional sign, digits with an optional
    /// fraction (`.5` and `5.` included) and an optional exponent. Never `nan`, `inf` or hex.
    struct ParsedNumber {
        let value: Double
        /// Whether the text is already a JSON number and can be copied as it is.
        let isJSON: Bool
    }

    private static let exactPowers: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func parseNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> ParsedNumber? {
        let count = bytes.count
        guard count > 0, count <= 64 else { return nil }
        var index = 0
        var negative = false
        var isJSON = true
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            isJSON = !(bytes[0] == UInt8(ascii: "+"))
            index = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0          // significant digits kept in the mantissa
        var dropped = false     // digits beyond what the mantissa holds
        var exponent = 0
        let integerStart = index
        while index < count, bytes[index] &- 48 < 10 {
            if digits < 19 {
                if mantissa != 0 || bytes[index] != 48 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 48)
            } else {
                exponent += 1
                dropped = true
            }
            index += 1
        }
        let integerDigits = index - integerStart
        if integerDigits > 1, bytes[integerStart] == 48 { isJSON = false }  // a leading zero
        var fractionDigits = 0
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, bytes[index] &- 48 < 10 {
                if digits < 19 {
                    if mantissa != 0 || bytes[index] != 48 { digits += 1 }
                    mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 48)
                    exponent -= 1
                } else {
                    dropped = true
                }
                index += 1
                fractionDigits += 1
            }
            if integerDigits == 0 || fractionDigits == 0 { isJSON = false }
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0, exponentDigits = 0
            while index < count, bytes[index] &- 48 < 10 {
                if written < 100_000 { written = written * 10 + Int(bytes[index] &- 48) }
                index += 1
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == count else { return nil }
        // Exact when the mantissa and the power of ten are both exact doubles (Clinger's fast path).
        if !dropped, mantissa <= 1 << 53, abs(exponent) <= 22 {
            let magnitude = exponent >= 0 ? Double(mantissa) * exactPowers[exponent] : Double(mantissa) / exactPowers[-exponent]
            return ParsedNumber(value: negative ? -magnitude : magnitude, isJSON: isJSON)
        }
        guard let value = Double(String(decoding: bytes, as: UTF8.self)), value.isFinite else { return nil }
        return ParsedNumber(value: value, isJSON: isJSON)
    }

    /// Whether `bytes` equal `text` ignoring ASCII case.
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] | 0x20 { return false }
        return true
    }

    /// An RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` or a space between.
    static func isTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, bytes[index] &- 48 < 10 else { return nil }
                value = value * 10 + Int(bytes[index] &- 48)
            }
            return value
        }
        func byte(_ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0 }
        guard bytes.count >= 20, digits(0..<4) != nil, byte(4) == UInt8(ascii: "-"),
              let month = digits(5..<7), (1...12).contains(month), byte(7) == UInt8(ascii: "-"),
              let day = digits(8..<10), (1...31).contains(day),
              byte(10) | 0x20 == UInt8(ascii: "t") || byte(10) == UInt8(ascii: " "),
              let hour = digits(11..<13), hour < 24, byte(13) == UInt8(ascii: ":"),
              let minute = digits(14..<16), minute < 60, byte(16) == UInt8(ascii: ":"),
              let second = digits(17..<19), second <= 60 else { return false }
        var index = 19
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            let start = index
            while byte(index) &- 48 < 10 { index += 1 }
            guard index > start else { return false }
        }
        if byte(index) | 0x20 == UInt8(ascii: "z") { return index + 1 == bytes.count }
        guard byte(index) == UInt8(ascii: "+") || byte(index) == UInt8(ascii: "-"),
              let offsetHour = digits(index + 1..<index + 3), offsetHour < 24, byte(index + 3) == UInt8(ascii: ":"),
              let offsetMinute = digits(index + 4..<index + 6), offsetMinute < 60 else { return false }
        return index + 6 == bytes.count
    }

    /// Whether `bytes` are valid UTF-8.
    static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 {
            return String(validating: bytes, as: UTF8.self) != nil
        }
        return true
    }
}
