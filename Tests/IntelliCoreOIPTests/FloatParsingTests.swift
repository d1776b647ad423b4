import Foundation
@testable import IntelliCoreOIP
import Testing

/// Numbers in request bodies decode to exactly the `Float` that `Float(String)` gives for their
/// text: the decoder's one-multiplication fast path must never round differently.
struct FloatParsingTests {
    /// The decoder's value for `text` as one JSON number.
    static func decoded(_ text: String) throws -> Float {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var decoder = OIPRequestDecoder(bytes: buffer)
            return try decoder.float()
        }
    }

    static func expectExact(_ texts: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var mismatches: [String] = []
        for text in texts {
            let expected = try #require(Float(text), "\(text) is not a Float literal", sourceLocation: sourceLocation)
            let ours = try decoded(text)
            if ours.bitPattern != expected.bitPattern { mismatches.append("\(text): \(ours) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(texts.count) differ: \(mismatches.prefix(10))", sourceLocation: sourceLocation)
    }

    /// What clients write: Python's `json.dumps` of float32 values (the double's 17-digit repr),
    /// Swift's and JavaScript's shortest forms, fixed decimals and exponents.
    @Test func randomFloatsInEveryCommonFormat() throws {
        var generator = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<40_000 {
            let value = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
            guard value.isFinite else { continue }
            texts.append("\(value)")                       // shortest round-trip (Swift, JavaScript)
            texts.append("\(Double(value))")               // Python json.dumps of a float32 widened to float64
            texts.append(String(format: "%.9g", value))    // 9 significant digits
            texts.append(String(format: "%.12e", Double(value)))
        }
        for _ in 0..<20_000 {
            let value = Float.random(in: -100...100, using: &generator)
            texts.append(String(format: "%.3f", value))
            texts.append("\(Double(value))")
        }
        try Self.expectExact(texts)
    }

    /// Decimal strings with many digits and wide exponents, including ones the fast path must
    /// hand to `Float(String)`: more than 19 digits, powers past 10^22, values near midpoints.
    @Test func randomDecimalStrings() throws {
        var generator = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<40_000 {
            let digits = Int.random(in: 1...25, using: &generator)
            var mantissa = String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { mantissa.append(Character(String(Int.random(in: 0...9, using: &generator)))) }
            let point = Int.random(in: 0...digits, using: &generator)
            var text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            if Bool.random(using: &generator) { text += "e\(Int.random(in: -45...38, using: &generator))" }
            texts.append(Bool.random(using: &generator) ? "-" + text : text)
        }
        try Self.expectExact(texts)
    }

    /// The points halfway between neighbouring floats, written out exactly, and one unit of the
    /// last digit either side: where a double rounding would go wrong.
    @Test func midpointsAndTheirNeighbours() throws {
        var generator = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<5_000 {
            let value = Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7F00_0000, using: &generator))
            let midpoint = (Double(value) + Double(value.nextUp)) / 2
            let exact = String(format: "%.40g", midpoint)
            texts.append(exact)
            for digits in [17, 18, 19, 20] { texts.append(String(format: "%.\(digits)g", midpoint)) }
        }
        try Self.expectExact(texts)
    }

    /// The midpoints on both sides of every power of two from the least normal Float to the
    /// greatest (where the spacing of Floats changes), and the greatest Float's upper midpoint.
    @Test func midpointsAtEveryBinadeBoundary() throws {
        var texts: [String] = []
        for exponent in -126...127 {
            let power = Float(sign: .plus, exponent: exponent, significand: 1)
            for (low, high) in [(power.nextDown, power), (power, power.nextUp)] where low.isFinite && high.isFinite && low > 0 {
                let midpoint = (Double(low) + Double(high)) / 2
                for digits in [17, 18, 20, 40] { texts.append(String(format: "%.\(digits)g", midpoint)) }
            }
        }
        let top = Double(Float.greatestFiniteMagnitude) + Double(Float.greatestFiniteMagnitude.ulp) / 2
        for digits in [17, 18, 20, 40] { texts.append(String(format: "%.\(digits)g", top)) }
        try Self.expectExact(texts)
    }

    @Test func edgeValues() throws {
        try Self.expectExact([
            "0", "-0", "0.0", "-0.0", "0e10", "1", "-1", "1e0", "1E+2", "1e-2", "0.1", "0.2", "0.3", "3.4028235e38", "3.4028234e38",
            "1.17549435e-38", "1.1754942e-38", "1.4e-45", "1.401298464324817e-45", "7e-46", "2.8e-45", "1e-40", "-1e-40",
            "16777216", "16777217", "16777218", "33554433", "0.1000000014901161193847656250", "9007199254740993",
            "123456789012345678901234567890", "0.000000000000000000000000000001", "1e-39", "4.9406564584124654e-324",
            "340282356779733661637539395458142568448", "340282356779733661637539395458142568447",
        ])
    }

    /// Fractions are read eight digits at a time while the mantissa has room: runs of zeros
    /// before the first significant digit, chunk boundaries at 8 and 16 digits, a chunk cut by an
    /// exponent or the end of the input, and integer parts that leave room for one chunk or none.
    @Test func fractionsReadEightDigitsAtATime() throws {
        var texts = [
            "0.12345678", "0.1234567890123456", "0.12345678901234567", "0.00000000", "0.0000000012345678",
            "0.0000000000000000123456789", "0.00000001", "0.000000010000000100000001", "1.00000000", "0.99999999999999999",
            "12345678901.12345678", "123456789012.12345678", "1234567890123456789.5", "0.1234567e5", "0.12345678e-3",
            "-0.1234567812345678e-30", "0.1234567", "0.123456789", "7.00000000000000000000000000001",
        ]
        // Every length of fraction from 1 to 26 digits, behind integer parts of 1 to 13 digits.
        var generator = SystemRandomNumberGenerator()
        for fractionDigits in 1...26 {
            for integerDigits in [1, 2, 9, 11, 12, 13] {
                for _ in 0..<40 {
                    let integer = String(Int.random(in: 1...9, using: &generator)) + String((1..<integerDigits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
                    let fraction = String((0..<fractionDigits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
                    texts.append("\(integer).\(fraction)")
                    texts.append("0.\(String(repeating: "0", count: Int.random(in: 0...12, using: &generator)))\(fraction)")
                }
            }
        }
        try Self.expectExact(texts)
    }

    @Test func outOfRangeReadsAsFloatStringReadsIt() throws {
        #expect(try Self.decoded("1e39") == Float("1e39"))
        #expect(try Self.decoded("-1e39") == Float("-1e39"))
        #expect(try Self.decoded("1e-50") == Float("1e-50"))
    }
}

/// The answer encoder writes integers and timings in place; what it writes reads back.
struct AnswerNumberTests {
    static func written(_ write: (inout OIPResultEncoder) -> Void) -> String {
        var encoder = OIPResultEncoder()
        write(&encoder)
        return String(decoding: encoder.bytes, as: UTF8.self)
    }

    @Test(arguments: [0, 1, 9, 10, 42, 1_000_000, -7, Int.max, Int.min])
    func integersAreWrittenAsDescriptionWritesThem(value: Int) {
        #expect(Self.written { $0.integer(value) } == String(value))
    }

    @Test func timingsKeepTheMicrosecond() {
        #expect(Self.written { $0.double(0.002) } == "0.002")
        #expect(Self.written { $0.double(0.000123) } == "0.000123")
        #expect(Self.written { $0.double(1.5) } == "1.5")
        #expect(Self.written { $0.double(0) } == "0.0")
        #expect(Self.written { $0.double(-0.25) } == "-0.25")
        #expect(Self.written { $0.double(12.0000004) } == "12.0")
        #expect(Self.written { $0.double(.nan) } == "0")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let value = Double.random(in: -100...100, using: &generator)
            let text = Self.written { $0.double(value) }
            let read = try? #require(Double(text))
            #expect(read.map { abs($0 - value) <= 0.000_000_5 + 1e-12 } == true, "\(value) → \(text)")
        }
    }
}
