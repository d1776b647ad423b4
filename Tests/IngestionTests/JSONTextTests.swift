import Foundation
import Testing
@testable import Ingestion

@Suite struct JSONTextTests {
    static func parse(_ text: String) -> JSONText.ParsedNumber? {
        Array(text.utf8).withUnsafeBufferPointer { JSONText.parseNumber($0) }
    }

    @Test func numbersParseExactlyAsStrtodDoes() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "1", "-1.5", "3.14159", "1e10", "1E-5", "2.5e+3", "0.1", "123456789012345678901234567890",
                     "4.9406564584124654e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "0.30000000000000004",
                     "9007199254740993", "+7", ".5", "5.", "00012", "1.000000000000000000001"]
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            texts.append(value.description)
            texts.append(String(format: "%.9g", Double(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0x7F7F_FFFF))))
            texts.append(String(Int.random(in: -1_000_000...1_000_000)) + "." + String(Int.random(in: 0...999_999)))
        }
        for text in texts {
            let parsed = Self.parse(text)
            let expected = Double(text)
            #expect(parsed?.value.bitPattern == expected?.bitPattern, "\(text)")
        }
    }

    @Test func jsonFormIsToldApart() {
        #expect(Self.parse("12.5")?.isJSON == true)
        #expect(Self.parse("-0.5e3")?.isJSON == true)
        for text in ["+1", ".5", "5.", "012"] { #expect(Self.parse(text)?.isJSON == false, "\(text)") }
    }

    @Test func notNumbers() {
        for text in ["", "-", "abc", "1.2.3", "nan", "inf", "0x10", "1e", "1e+", " 1", "1 ", "--1", "1,5"] {
            #expect(Self.parse(text) == nil, "\(text)")
        }
    }

    @Test func timestamps() {
        func check(_ text: String) -> Bool { Array(text.utf8).withUnsafeBufferPointer { JSONText.isTimestamp($0) } }
        #expect(check("2026-11-22T10:15:30Z"))
        #expect(check("2026-11-22 10:15:30.123+01:00"))
        #expect(!check("2026-11-22"))
        #expect(!check("2026-13-22T10:15:30Z"))
        #expect(!check("2026-11-22T10:15:30"))
    }

    @Test func stringsAreEscaped() {
        var output: [UInt8] = []
        JSONText.appendString("a\"b\\c\nd\u{1}", to: &output)
        let decoded = try? JSONDecoder().decode(String.self, from: Data(output))
        #expect(decoded == "a\"b\\c\nd\u{1}")
    }
}
