import Foundation

/// Reads the few fields a consumer needs from a large JSON payload in one pass, skipping every
/// other value by its brackets instead of decoding it (a thousand rows of a dataset batch, the
/// output tensors of a prediction answer). Not a validator: a payload it cannot follow gives nil,
/// and the caller treats it as undecodable.
public struct JSONSkimmer {
    let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var index = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Walks the members of the object at the current position; `member` reads (or skips) each
    /// value and returns false to give up. False when the input is not such an object.
    public mutating func object(_ member: (String, inout JSONSkimmer) -> Bool) -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipSpace()
            guard let key = string() else { return false }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard member(key, &self) else { return false }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    /// Walks the elements of the array at the current position, like `object`.
    public mutating func array(_ element: (Int, inout JSONSkimmer) -> Bool) -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "[")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "]")) { return true }
        var position = 0
        while true {
            skipSpace()
            guard element(position, &self) else { return false }
            position += 1
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]"))
        }
    }

    public mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A JSON string (escapes decoded when there are any).
    public mutating func string() -> String? {
        switch scanString() {
        case .plain(let raw)?: String(decoding: raw, as: UTF8.self)
        case .escaped(let quoted)?: try? EventCodec.decode(String.self, from: Array(quoted))
        case nil: nil
        }
    }

    /// Hands `body` a JSON string's UTF-8 bytes: in place when it has no escapes (nothing made),
    /// decoded otherwise. Nil when the value is not a string.
    public mutating func withStringBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        switch scanString() {
        case .plain(let raw)?: return body(raw)
        case .escaped(let quoted)?:
            guard var text = try? EventCodec.decode(String.self, from: Array(quoted)) else { return nil }
            return text.withUTF8(body)
        case nil: return nil
        }
    }

    private enum ScannedString {
        /// The bytes between the quotes.
        case plain(UnsafeBufferPointer<UInt8>)
        /// The whole literal, quotes included, for a decoder.
        case escaped(UnsafeBufferPointer<UInt8>)
    }

    /// Moves past the string at the current position.
    private mutating func scanString() -> ScannedString? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var escaped = false, anyEscape = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                (escaped, anyEscape) = (true, true)
            } else if byte == UInt8(ascii: "\"") {
                return anyEscape ? .escaped(UnsafeBufferPointer(rebasing: bytes[(start - 1)..<index]))
                                 : .plain(UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))
            }
        }
        return nil
    }

    /// A whole number written without fraction or exponent.
    public mutating func integer() -> Int? {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, bytes[index] &- 48 < 10 { index += 1 }
        guard index > start, index - start < 19 else { return nil }
        return Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    /// A JSON number as a `Double` (nil for anything else, the value then not consumed), read
    /// without allocating: the digits are copied to a stack buffer for `strtod`.
    public mutating func number() -> Double? {
        let start = index
        while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
        let length = index - start
        guard length > 0, length < 64 else {
            index = start
            return nil
        }
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
            for offset in 0..<length { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
            buffer[length] = 0
            var end: UnsafeMutablePointer<CChar>?
            let parsed = strtod(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + length ? parsed : nil
        }
        if value == nil { index = start }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        byte &- 48 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// `true` or `false`; nil for anything else (the value is then not consumed).
    public mutating func boolean() -> Bool? {
        let rest = bytes.count - index
        if rest >= 4, bytes[index] == UInt8(ascii: "t"), bytes[index + 1] == UInt8(ascii: "r"), bytes[index + 2] == UInt8(ascii: "u"),
           bytes[index + 3] == UInt8(ascii: "e") {
            index += 4
            return true
        }
        if rest >= 5, bytes[index] == UInt8(ascii: "f"), bytes[index + 1] == UInt8(ascii: "a"), bytes[index + 2] == UInt8(ascii: "l"),
           bytes[index + 3] == UInt8(ascii: "s"), bytes[index + 4] == UInt8(ascii: "e") {
            index += 5
            return false
        }
        return nil
    }

    /// Skips an array, returning how many elements it held.
    public mutating func countElements() -> Int? {
        var count = 0
        guard array({ _, skimmer in count += 1; return skimmer.skipValue() }) else { return nil }
        return count
    }

    /// Skips any JSON value by its brackets, strings respected.
    public mutating func skipValue() -> Bool {
        guard index < bytes.count else { return false }
        let first = bytes[index]
        if first == UInt8(ascii: "\"") { return string() != nil }
        if first != UInt8(ascii: "[") && first != UInt8(ascii: "{") {
            let start = index
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(bytes[index]),
                  bytes[index] > 0x20 { index += 1 }
            return index > start
        }
        var depth = 0
        var inString = false, escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return true }
            }
        }
        return false
    }
}
