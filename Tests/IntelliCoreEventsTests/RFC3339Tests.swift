import Foundation
import IntelliCoreEvents
import Testing

/// The byte-level reader and writer give exactly what Foundation's ISO 8601 style gives, which
/// they replace on every consumer's hot path.
struct RFC3339Tests {
    static let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func foundationParse(_ text: String) -> Date? {
        if let date = try? foundation.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    @Test func randomTimestampsReadAsFoundationReadsThem() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            let year = Int.random(in: 1583...9999, using: &generator), month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...28, using: &generator)
            let digits = Int.random(in: 0...9, using: &generator)
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, Int.random(in: 0...23), Int.random(in: 0...59), Int.random(in: 0...59))
            if digits > 0 { text += "." + String((0..<digits).map { _ in Character(String(Int.random(in: 0...9))) }) }
            var offsetSeconds = 0
            switch Int.random(in: 0...2) {
            case 0: text += "Z"
            default:
                let sign = Bool.random() ? 1 : -1, hours = Int.random(in: 0...17), minutes = Int.random(in: 0...59)
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                text += String(format: "%@%02d:%02d", sign > 0 ? "+" : "-", hours, minutes)
            }
            let ours = RFC3339.parse(text.utf8)
            let theirs = Self.foundationParse(text)
            #expect(ours != nil, "\(text) was not read")
            if let ours, let theirs, ours != theirs, offsetSeconds != 0 {
                // Foundation adds the fraction to the local time and then takes the offset off: two
                // roundings, so a fraction of 7+ digits can land one unit in the last place away
                // from the correctly rounded instant that we give. Anything more is a failure.
                let difference = abs(ours.timeIntervalSinceReferenceDate - theirs.timeIntervalSinceReferenceDate)
                #expect(difference <= theirs.timeIntervalSinceReferenceDate.ulp,
                        "\(text): \(ours.timeIntervalSinceReferenceDate) vs \(theirs.timeIntervalSinceReferenceDate)")
            } else {
                #expect(ours == theirs, "\(text): \(ours?.timeIntervalSinceReferenceDate ?? .nan) vs \(theirs?.timeIntervalSinceReferenceDate ?? .nan)")
            }
            checked += 1
        }
        #expect(checked == 20_000)
    }

    /// The instant seen to differ from Foundation's by one unit in the last place: ours is the
    /// correctly rounded one (whole seconds plus the fraction, rounded once).
    @Test func anOffsetAndASevenDigitFractionRoundOnce() throws {
        let ours = try #require(RFC3339.parse("1999-12-09T22:08:07.5704179+11:47".utf8))
        #expect(ours.timeIntervalSinceReferenceDate == -33_572_333.0 + 5_704_179.0 / 10_000_000.0)
    }

    @Test(arguments: ["2024-02-29T23:59:59.999999999Z", "2000-02-29T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
                      "1583-01-01T00:00:00Z", "9999-12-31T23:59:59.9+18:00", "2026-12-03T15:43:18.5-00:30", "1900-03-01T00:00:00.000001Z"])
    func edgeTimestampsReadAsFoundationReadsThem(text: String) {
        #expect(RFC3339.parse(text.utf8) != nil)
        #expect(RFC3339.parse(text.utf8) == Self.foundationParse(text))
        #expect(EventCodec.parseTime(text) == Self.foundationParse(text))
    }

    /// Forms the fast reader leaves to Foundation still read as before through `EventCodec`.
    @Test(arguments: ["2026-02-30T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T15:43:18.1234567891Z", "1200-01-01T00:00:00Z", "2026-12-03T15:43:18+19:00"])
    func otherFormsFallBackToFoundation(text: String) {
        #expect(RFC3339.parse(text.utf8) == nil)
        #expect(EventCodec.parseTime(text) == Self.foundationParse(text))
    }

    @Test(arguments: ["", "2026-12-03", "2026-12-03T15:43:18", "2026-12-03T15:43:18.Z", "2026-12-03T15:43:18Zx", "2026-12-03t15:43:18z",
                      "2026-12-03 15:43:18Z", "2026-13-01T00:00:00Z", "2026-12-03T15:43:18+1:00"])
    func malformedTimestampsAreNotRead(text: String) {
        #expect(RFC3339.parse(text.utf8) == nil)
    }

    @Test func formattingWritesWhatFoundationWrites() {
        var generator = SystemRandomNumberGenerator()
        var seconds: [Double] = [0, -0.0005, -0.001, 0.0009999, 1_796_312_312.9995, 1_796_312_312.1234, 951_782_400, -12_212_553_600, -12_212_553_600.001, -62_135_596_800, 253_402_300_799.999]
        seconds += (0..<20_000).map { _ in Double.random(in: -62_135_596_800...253_402_300_799, using: &generator) }
        seconds += (0..<5_000).map { _ in (Double(Int64.random(in: 0...4_000_000_000_000, using: &generator)) / 1_000) }
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            #expect(RFC3339.format(date) == Self.foundation.format(date), "\(value)")
        }
    }

    /// Writing truncates to the millisecond, so what is read back is at most 1 ms earlier (plus the
    /// rounding of a Double near 1.7e9 s, which is what makes 3.806 write as .805, as Foundation does).
    @Test func writtenTimestampsReadBack() {
        for value in stride(from: 1_700_000_000.0, to: 1_700_000_100.0, by: 0.0173) {
            let date = Date(timeIntervalSince1970: value)
            let text = RFC3339.format(date)
            let read = RFC3339.parse(text.utf8)
            #expect(read.map { date.timeIntervalSince($0) >= 0 && date.timeIntervalSince($0) < 0.001 + 1e-6 } == true, "\(value) → \(text)")
        }
    }
}
