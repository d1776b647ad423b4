/// The one check of a binary-mode record's CloudEvents envelope.
///
/// `CloudEvent(kafkaHeader:value:)` and the inference hot path (which reads headers in place and
/// never builds a `CloudEvent`) both call it, so every consumer accepts and refuses exactly the
/// same records.
public enum CloudEventEnvelope {
    /// Why the record is not a binary-mode CloudEvent of this platform; nil when it is one.
    ///
    /// - Parameters:
    ///   - header: the value of the last header called `name`, nil when absent. Slices, so a
    ///     caller holding packed headers copies nothing.
    ///   - valueCount: the record value's length (0 for a tombstone).
    @inlinable
    public static func problem(header: (String) -> ArraySlice<UInt8>?, valueCount: Int) -> EventError? {
        guard let version = header(CloudEventHeader.specVersion), !version.isEmpty else {
            return EventError(.missingAttribute, "header \(CloudEventHeader.specVersion) is missing")
        }
        guard version.elementsEqual(CloudEvent.specVersion.utf8) else {
            return EventError(.invalidAttribute, "unsupported CloudEvents specversion \(String(decoding: version, as: UTF8.self))")
        }
        guard let time = header(CloudEventHeader.time), !time.isEmpty else {
            return EventError(.missingAttribute, "header \(CloudEventHeader.time) is missing")
        }
        guard RFC3339.isTimestamp(time) else {
            return EventError(.invalidAttribute, "ce_time is not an RFC 3339 timestamp")
        }
        guard valueCount > 0 else {
            return EventError(.emptyPayload, "record has no value")
        }
        // Three checks rather than a loop over a literal array: no allocation per record.
        guard let id = header(CloudEventHeader.id), !id.isEmpty else {
            return EventError(.missingAttribute, "header \(CloudEventHeader.id) is missing")
        }
        guard let source = header(CloudEventHeader.source), !source.isEmpty else {
            return EventError(.missingAttribute, "header \(CloudEventHeader.source) is missing")
        }
        guard let type = header(CloudEventHeader.type), !type.isEmpty else {
            return EventError(.missingAttribute, "header \(CloudEventHeader.type) is missing")
        }
        return nil
    }
}

/// RFC 3339 `date-time` (section 5.6), checked on bytes: `YYYY-MM-DDTHH:MM:SS`, an optional
/// fraction, then `Z` or `±HH:MM`; the day exists in its month and year. Upper-case `T` and `Z`
/// only, the form `EventCodec.parseTime` reads.
public enum RFC3339 {
    @inlinable
    public static func isTimestamp(_ text: ArraySlice<UInt8>) -> Bool {
        var index = text.startIndex
        func digits(_ count: Int) -> Int? {
            guard text.endIndex - index >= count else { return nil }
            var value = 0
            for _ in 0..<count {
                let byte = text[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                index += 1
            }
            return value
        }
        func literal(_ byte: UInt8) -> Bool {
            guard index < text.endIndex, text[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), literal(0x2D), let month = digits(2), (1...12).contains(month), literal(0x2D),
              let day = digits(2), day >= 1, day <= daysIn(month: month, year: year), literal(0x54),
              let hour = digits(2), hour <= 23, literal(0x3A), let minute = digits(2), minute <= 59, literal(0x3A),
              let second = digits(2), second <= 59 else { return false }
        if literal(0x2E) {
            guard digits(1) != nil else { return false }
            while index < text.endIndex, text[index] >= 0x30, text[index] <= 0x39 { index += 1 }
        }
        if literal(0x5A) { return index == text.endIndex }
        guard literal(0x2B) || literal(0x2D), let offsetHour = digits(2), offsetHour <= 23, literal(0x3A),
              let offsetMinute = digits(2), offsetMinute <= 59 else { return false }
        return index == text.endIndex
    }

    @inlinable
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
