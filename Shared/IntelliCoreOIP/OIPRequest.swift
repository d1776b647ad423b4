import IntelliCoreEvents

/// A decoded `PredictionRequested` payload in the shape the hot path needs.
public struct OIPRequest: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        public var shape: [Int]
        public var datatype: String
        /// Numbers, converted to Float while parsing (nil for BYTES data).
        public var numbers: [Float]?
        public var strings: [String]?

        public init(name: String, shape: [Int], datatype: String, numbers: [Float]? = nil, strings: [String]? = nil) {
            self.name = name
            self.shape = shape
            self.datatype = datatype
            self.numbers = numbers
            self.strings = strings
        }

        public var count: Int { numbers?.count ?? strings?.count ?? 0 }
    }

    public var id: String
    public var modelName: String
    public var modelVersion: String?
    public var alias: String?
    public var inputs: [Tensor]

    /// From the Codable form (the fallback path for JSON the fast decoder does not take).
    public init(_ event: PredictionRequested) {
        id = event.id
        modelName = event.modelName
        modelVersion = event.modelVersion
        alias = event.alias
        inputs = event.inputs.map { tensor in
            switch tensor.data {
            case .numbers(let values): Tensor(name: tensor.name, shape: tensor.shape, datatype: tensor.datatype, numbers: values.map(Float.init))
            case .strings(let values): Tensor(name: tensor.name, shape: tensor.shape, datatype: tensor.datatype, strings: values)
            case .booleans(let values): Tensor(name: tensor.name, shape: tensor.shape, datatype: tensor.datatype, numbers: values.map { $0 ? 1 : 0 })
            }
        }
    }

    public init(id: String, modelName: String, modelVersion: String?, alias: String?, inputs: [Tensor]) {
        self.id = id
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.alias = alias
        self.inputs = inputs
    }

    /// Fast path first; Codable when the fast decoder meets something it does not handle.
    public static func decode(_ bytes: [UInt8]) throws -> OIPRequest {
        try bytes.withUnsafeBufferPointer { try decode($0) }
    }

    /// The same from bytes the caller does not own (a consumed record read in place).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws -> OIPRequest {
        do {
            var decoder = OIPRequestDecoder(bytes: bytes)
            return try decoder.decode()
        } catch OIPRequestDecoder.Failure.unsupported {
            return OIPRequest(try EventCodec.decode(PredictionRequested.self, from: Array(bytes)))
        }
    }
}

/// A byte-level decoder for the OIP v2 request subset: ids and names as plain strings, inputs as
/// arrays of numbers or strings (nested arrays flattened). Numbers become `Float` as they are
/// read. Anything unusual (escaped strings, exotic values) answers `.unsupported` and the caller
/// falls back to Codable; malformed JSON answers `.malformed`.
public struct OIPRequestDecoder {
    public enum Failure: Error, Equatable {
        case unsupported
        case malformed(String)
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func decode() throws(Failure) -> OIPRequest {
        var id: String?, model: String?, version: String?, alias: String?
        var inputs: [OIPRequest.Tensor]?
        try object { decoder, key throws(Failure) in
            switch key {
            case "id": id = try decoder.string()
            case "model_name": model = try decoder.string()
            case "model_version": version = try decoder.optionalString()
            case "alias": alias = try decoder.optionalString()
            case "inputs": inputs = try decoder.tensors()
            default: try decoder.skipValue()
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw .malformed("trailing characters") }
        guard let id, let model, let inputs else { throw .malformed("id, model_name and inputs are required") }
        return OIPRequest(id: id, modelName: model, modelVersion: version, alias: alias, inputs: inputs)
    }

    mutating func tensors() throws(Failure) -> [OIPRequest.Tensor] {
        var result: [OIPRequest.Tensor] = []
        try array { decoder throws(Failure) in
            var name: String?, shape: [Int]?, datatype: String?
            var numbers: [Float]?, strings: [String]?
            try decoder.object { decoder, key throws(Failure) in
                switch key {
                case "name": name = try decoder.string()
                case "datatype": datatype = try decoder.string()
                case "shape":
                    var values: [Int] = []
                    try decoder.array { decoder throws(Failure) in
                        let value = try decoder.number()
                        guard value >= 0, value < 1e9, value == value.rounded() else { throw .malformed("shape must hold whole numbers") }
                        values.append(Int(value))
                    }
                    shape = values
                case "data": try decoder.data(numbers: &numbers, strings: &strings)
                default: try decoder.skipValue()
                }
            }
            guard let name, let shape, let datatype else { throw .malformed("each input needs name, shape and datatype") }
            if numbers == nil && strings == nil { numbers = [] }
            result.append(OIPRequest.Tensor(name: name, shape: shape, datatype: datatype, numbers: numbers, strings: strings))
        }
        return result
    }

    /// Flattens (possibly nested) arrays of numbers or of strings.
    mutating func data(numbers: inout [Float]?, strings: inout [String]?) throws(Failure) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "[") else { throw .malformed("data must be an array") }
        var floats: [Float] = [], texts: [String] = []
        floats.reserveCapacity(64)
        func walk(_ decoder: inout OIPRequestDecoder) throws(Failure) {
            try decoder.array { decoder throws(Failure) in
                decoder.skipWhitespace()
                switch decoder.peek() {
                case UInt8(ascii: "["): try walk(&decoder)
                case UInt8(ascii: "\""): texts.append(try decoder.string())
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): throw .unsupported
                default: floats.append(try decoder.float())
                }
            }
        }
        try walk(&self)
        guard floats.isEmpty || texts.isEmpty else { throw .malformed("data mixes numbers and strings") }
        if texts.isEmpty { numbers = floats } else { strings = texts }
    }

    // MARK: JSON primitives

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard peek() == byte else { throw .malformed("expected '\(Character(Unicode.Scalar(byte)))' at byte \(index)") }
        index += 1
    }

    mutating func object(_ field: (inout OIPRequestDecoder, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            skipWhitespace()
            guard let next = peek() else { throw .malformed("unterminated object") }
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw .malformed("expected ',' or '}' at byte \(index - 1)") }
        }
    }

    mutating func array(_ element: (inout OIPRequestDecoder) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            try element(&self)
            skipWhitespace()
            guard let next = peek() else { throw .malformed("unterminated array") }
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw .malformed("expected ',' or ']' at byte \(index - 1)") }
        }
    }

    mutating func string() throws(Failure) -> String {
        let range = try stringRange()
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func optionalString() throws(Failure) -> String? {
        skipWhitespace()
        if peek() == UInt8(ascii: "n") { try literal("null"); return nil }
        return try string()
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw .malformed("truncated literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw .malformed("invalid literal") }
        index += count
    }

    /// A JSON number; exponent and fraction handled, precision that of Double.
    mutating func number() throws(Failure) -> Double {
        try scanNumber().value
    }

    /// A JSON number as the `Float` nearest to its decimal value, exactly what `Float(String)`
    /// gives for its text. The common case takes one multiplication in `Double` (at most 19
    /// significant digits, a power of ten up to 10^22), whose error is under 2 units in the last
    /// place; when that could put the value on the wrong side of a point halfway between two
    /// floats (within 4 units), or the number is out of that range, the text is read by
    /// `Float(String)` instead.
    mutating func float() throws(Failure) -> Float {
        let start = index
        let scanned = try scanNumber()
        if scanned.exact {
            let value = scanned.value, magnitude = value.magnitude
            if magnitude >= Double(Float.leastNormalMagnitude) && magnitude <= Double(Float.greatestFiniteMagnitude) {
                // Rounding a double to a normal Float drops its 29 lowest significand bits, and
                // the halfway point between two Floats is 2^28 there. `value` is within 4 of its
                // units of the true number, so unless the dropped bits are that close to halfway,
                // the true number rounds to the same Float.
                let dropped = Int64(value.bitPattern & 0x1FFF_FFFF)
                if abs(dropped - 0x1000_0000) > 4 { return Float(value) }
            } else if scanned.zero {
                return Float(value) // ±0
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self).trimmingPrefix { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard let parsed = Float(String(text)) else { throw .malformed("number out of range at byte \(start)") }
        return parsed
    }

    /// The number's value in `Double`, and whether it came from an exact mantissa (at most 19
    /// significant digits) and an exactly representable power of ten (10^-22...10^22).
    private mutating func scanNumber() throws(Failure) -> (value: Double, exact: Bool, zero: Bool) {
        skipWhitespace()
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; index += 1 }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0
        var sawDigit = false, truncated = false
        while let byte = peek(), byte >= 48, byte <= 57 {
            sawDigit = true
            if digits < 19 {
                mantissa = mantissa * 10 + UInt64(byte - 48)
                if mantissa > 0 { digits += 1 }
            } else {
                exponent += 1
                truncated = truncated || byte != 48
            }
            index += 1
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            // Eight digits at a time while they fit in the 19-digit mantissa (a float written in
            // full precision has 16–17 fraction digits: two steps, then a few single ones).
            while digits <= 11, let chunk = eightDigits(at: index) {
                sawDigit = true
                mantissa = mantissa * 100_000_000 + chunk
                digits = digits > 0 ? digits + 8 : Self.decimalDigits(chunk)
                exponent -= 8
                index += 8
            }
            while let byte = peek(), byte >= 48, byte <= 57 {
                sawDigit = true
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(byte - 48)
                    exponent -= 1
                    if mantissa > 0 { digits += 1 }
                } else {
                    truncated = truncated || byte != 48
                }
                index += 1
            }
        }
        guard sawDigit else { throw .malformed("expected a number at byte \(index)") }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if peek() == UInt8(ascii: "-") { exponentNegative = true; index += 1 } else if peek() == UInt8(ascii: "+") { index += 1 }
            var value = 0
            var any = false
            while let byte = peek(), byte >= 48, byte <= 57 { any = true; value = min(value * 10 + Int(byte - 48), 10_000); index += 1 }
            guard any else { throw .malformed("bad exponent") }
            exponent += exponentNegative ? -value : value
        }
        var result = Double(mantissa)
        let exactPower = exponent >= -22 && exponent <= 22
        if exponent > 0 {
            result *= exactPower ? Self.exactPowers[exponent] : Self.power10(exponent)
        } else if exponent < 0 {
            result = exactPower ? result / Self.exactPowers[-exponent] : result * Self.power10(exponent)
        }
        return (negative ? -result : result, !truncated && exactPower, mantissa == 0)
    }

    /// The eight ASCII digits at `position` as one number, or nil when the input has fewer left
    /// or any of them is not a digit: one unaligned load and a few multiplications (the usual
    /// SWAR method) instead of eight rounds of the byte loop.
    @inline(__always)
    private func eightDigits(at position: Int) -> UInt64? {
        guard position + 8 <= bytes.count, let base = bytes.baseAddress else { return nil }
        let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
        // Every byte 0x30...0x39: high nibble 3, and adding 6 does not carry out of the low one.
        guard (word & 0xF0F0_F0F0_F0F0_F0F0) | (((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
                == 0x3333_3333_3333_3333 else { return nil }
        // Digit values, then pairs (10·a + b), then fours, then the eight-digit number; the first
        // digit is in the lowest byte.
        var value = word &- 0x3030_3030_3030_3030
        value = (value &* 10) &+ (value >> 8)
        let pairs = value & 0x0000_00FF_0000_00FF, nextPairs = (value >> 16) & 0x0000_00FF_0000_00FF
        value = ((pairs &* (100 &+ (1_000_000 << 32))) &+ (nextPairs &* (1 &+ (10_000 << 32)))) >> 32
        return value & 0xFFFF_FFFF
    }

    /// How many decimal digits `value` has (0 for 0).
    private static func decimalDigits(_ value: UInt64) -> Int {
        var count = 0, rest = value
        while rest > 0 { count += 1; rest /= 10 }
        return count
    }

    /// Exact powers of ten, built once: this runs for every number with a fraction.
    private static let exactPowers: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                                1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    static func power10(_ exponent: Int) -> Double {
        if exponent >= -22 && exponent <= 22 {
            return exponent >= 0 ? exactPowers[exponent] : 1 / exactPowers[-exponent]
        }
        return pow10(Double(exponent))
    }

    private static func pow10(_ exponent: Double) -> Double {
        var result = 1.0, base = 10.0, e = abs(exponent)
        while e >= 1 { if e.truncatingRemainder(dividingBy: 2) >= 1 { result *= base }; base *= base; e = (e / 2).rounded(.down) }
        return exponent < 0 ? 1 / result : result
    }

    /// Skips any JSON value (objects, arrays, strings with escapes, literals, numbers).
    mutating func skipValue() throws(Failure) {
        skipWhitespace()
        guard let byte = peek() else { throw .malformed("missing value") }
        switch byte {
        case UInt8(ascii: "{"): try object { decoder, _ throws(Failure) in try decoder.skipValue() }
        case UInt8(ascii: "["): try array { decoder throws(Failure) in try decoder.skipValue() }
        case UInt8(ascii: "\""):
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1 }
            guard index < bytes.count else { throw .malformed("unterminated string") }
            index += 1
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }
}
