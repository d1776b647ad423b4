/// The one check of a binary-mode record's CloudEvents envelope.
///
/// `CloudEvent(kafkaHeader:value:)` and the inference hot path (which reads headers in place and
/// never builds a `CloudEvent`) both call it, so every consumer accepts and refuses exactly the
/// same records.
public enum CloudEventEnvelope {
    /// Why the record is not a binary-mode CloudEvent of this platform; nil when it is one.
    ///
    /// - Parameters:
    ///   - header: the value of the last header called `name`, nil when absent. Slices or views,
    ///     so a caller holding packed headers or reading records in place copies nothing.
    ///   - valueCount: the record value's length (0 for a tombstone).
    @inlinable
    public static func problem<Bytes: RandomAccessCollection>(header: (String) -> Bytes?, valueCount: Int) -> EventError?
        where Bytes.Element == UInt8, Bytes.Index == Int {
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
