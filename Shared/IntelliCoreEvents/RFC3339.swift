import Foundation

/// RFC 3339 `date-time` (section 5.6) as events carry it (`ce_time`, payload times): checked,
/// read and written on bytes, without Foundation's general ISO 8601 machinery (which took a tenth
/// of a consumer's CPU per event).
///
/// The form is `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`, upper-case `T`
/// and `Z` only, and the day must exist in its month and year. `parse` reads it (fractions of up
/// to 9 digits, Gregorian years from 1583, offsets up to 18 hours) to the value
/// `Date.ISO8601FormatStyle` gives for the same text, and returns nil for anything else, which `EventCodec.parseTime` then hands to Foundation, so odd but accepted forms
/// read as they always did. `format` writes UTC with milliseconds, truncated, exactly as
/// `Date.ISO8601FormatStyle(includingFractionalSeconds: true)` does.
public enum RFC3339 {
    /// Whether `text` is a timestamp of this form.
    @inlinable
    public static func isTimestamp<Bytes: RandomAccessCollection>(_ text: Bytes) -> Bool where Bytes.Element == UInt8, Bytes.Index == Int {
        // Fixed positions up to the seconds, then the optional fraction and the offset. (Written
        // without local functions over a captured index: those cost a dynamic exclusivity check
        // per byte, a third of this check's time on the inference path.)
        let start = text.startIndex, end = text.endIndex
        guard end - start >= 20 else { return false } // the shortest: YYYY-MM-DDTHH:MM:SSZ
        guard let year = number(text, at: start, digits: 4), text[start + 4] == 0x2D, // -
              let month = number(text, at: start + 5, digits: 2), (1...12).contains(month), text[start + 7] == 0x2D,
              let day = number(text, at: start + 8, digits: 2), day >= 1, day <= daysIn(month: month, year: year), text[start + 10] == 0x54, // T
              let hour = number(text, at: start + 11, digits: 2), hour <= 23, text[start + 13] == 0x3A, // :
              let minute = number(text, at: start + 14, digits: 2), minute <= 59, text[start + 16] == 0x3A,
              let second = number(text, at: start + 17, digits: 2), second <= 59 else { return false }
        var index = start + 19
        if text[index] == 0x2E { // .
            index += 1
            guard index < end, number(text, at: index, digits: 1) != nil else { return false }
            while index < end, number(text, at: index, digits: 1) != nil { index += 1 }
        }
        guard index < end else { return false }
        if text[index] == 0x5A { return index + 1 == end } // Z
        guard text[index] == 0x2B || text[index] == 0x2D, end - index == 6, // + - and HH:MM
              let offsetHour = number(text, at: index + 1, digits: 2), offsetHour <= 23, text[index + 3] == 0x3A,
              let offsetMinute = number(text, at: index + 4, digits: 2), offsetMinute <= 59 else { return false }
        return true
    }

    /// The decimal number of `digits` digits at `position` (the caller checked they are in
    /// bounds); nil when one is not a digit.
    @inlinable
    static func number<Bytes: RandomAccessCollection>(_ text: Bytes, at position: Int, digits: Int) -> Int? where Bytes.Element == UInt8, Bytes.Index == Int {
        var value = 0
        for index in position..<position + digits {
            let byte = text[index]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    @inlinable
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds from 1970-01-01 to 2001-01-01, Foundation's reference date.
    private static let referenceOffset: Int64 = 978_307_200

    /// The instant `text` names; nil when it is not of this form, has more than 9 fraction digits,
    /// a year before 1583 (Foundation's calendar is Julian there) or an offset past 18 hours.
    public static func parse(_ text: some Collection<UInt8>) -> Date? {
        var bytes = text.makeIterator()
        func next() -> UInt8? { bytes.next() }
        func digits(_ n: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<n {
                guard let byte = next(), byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        func expect(_ character: UInt8) -> Bool { next() == character }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2), expect(0x54), // - - T
              let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2) else { return nil } // : :
        guard year >= 1583, (1...12).contains(month), day >= 1, day <= daysIn(month: Int(month), year: Int(year)), hour <= 23, minute <= 59, second <= 59 else {
            return nil
        }
        var fraction: Int64 = 0, scale: Int64 = 1
        var byte = next()
        if byte == 0x2E { // .
            byte = next()
            while let digit = byte, digit >= 0x30, digit <= 0x39 {
                guard scale < 1_000_000_000 else { return nil }
                fraction = fraction * 10 + Int64(digit - 0x30)
                scale *= 10
                byte = next()
            }
            guard scale > 1 else { return nil }
        }
        var offset: Int64 = 0
        switch byte {
        case 0x5A: // Z
            break
        case 0x2B, 0x2D: // + -
            guard let hours = digits(2), expect(0x3A), let minutes = digits(2), hours * 60 + minutes <= 18 * 60, minutes <= 59 else { return nil }
            offset = (hours * 60 + minutes) * 60 * (byte == 0x2D ? -1 : 1)
        default:
            return nil
        }
        guard next() == nil else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let whole = days * 86_400 + hour * 3_600 + minute * 60 + second - offset - referenceOffset
        return Date(timeIntervalSinceReferenceDate: Double(whole) + Double(fraction) / Double(scale))
    }

    /// `2026-12-03T15:43:18.123Z`: UTC, milliseconds truncated.
    public static func format(_ date: Date) -> String {
        // Whole seconds and the fraction's milliseconds from the reference-date interval, the way
        // Foundation splits it (so a value just below a millisecond writes the one below).
        let interval = date.timeIntervalSinceReferenceDate
        let whole = interval.rounded(.down)
        // Gregorian years 1583–9999 only; anything else as Foundation writes it (Julian before 1582).
        guard whole.isFinite, whole >= -13_190_860_800, whole < 252_423_993_600 else {
            return Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
        }
        let millisecond = min(Int64((interval - whole) * 1_000), 999)
        let seconds = Int64(whole) + referenceOffset
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            func put(_ value: Int64, width: Int) {
                var rest = value
                for position in stride(from: index + width - 1, through: index, by: -1) {
                    buffer[position] = UInt8(0x30 + rest % 10)
                    rest /= 10
                }
                index += width
            }
            func put(_ byte: UInt8) {
                buffer[index] = byte
                index += 1
            }
            put(year, width: 4); put(0x2D); put(month, width: 2); put(0x2D); put(day, width: 2); put(0x54)
            put(secondOfDay / 3_600, width: 2); put(0x3A); put(secondOfDay / 60 % 60, width: 2); put(0x3A); put(secondOfDay % 60, width: 2)
            put(0x2E); put(millisecond, width: 3); put(0x5A)
            return index
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01 (`civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
