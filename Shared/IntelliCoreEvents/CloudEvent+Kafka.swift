import Foundation

/// Header names of the CloudEvents Kafka protocol binding (binary mode).
public enum CloudEventHeader {
    public static let specVersion = "ce_specversion"
    public static let id = "ce_id"
    public static let source = "ce_source"
    public static let type = "ce_type"
    public static let time = "ce_time"
    public static let subject = "ce_subject"
    public static let tenantId = "ce_tenantid"
    public static let contentType = "content-type"
}

extension CloudEvent {
    /// The binary-mode headers for this event, in a stable order.
    public var kafkaHeaders: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            (CloudEventHeader.specVersion, Self.specVersion),
            (CloudEventHeader.id, id),
            (CloudEventHeader.source, source),
            (CloudEventHeader.type, type),
            (CloudEventHeader.time, EventCodec.formatTime(time)),
        ]
        if let subject { headers.append((CloudEventHeader.subject, subject)) }
        if let tenantId { headers.append((CloudEventHeader.tenantId, tenantId)) }
        headers.append((CloudEventHeader.contentType, dataContentType))
        return headers
    }

    /// Reads an event from a Kafka record in binary or structured mode.
    ///
    /// - Parameters:
    ///   - header: looks up a header's value by name (the last one wins when repeated).
    ///   - value: the record value; nil for a tombstone.
    public init(kafkaHeader header: (String) -> [UInt8]?, value: [UInt8]?) throws {
        let contentType = header(CloudEventHeader.contentType).map { String(decoding: $0, as: UTF8.self) }
        if let contentType, contentType.hasPrefix(Self.structuredContentType) {
            try self.init(structuredJSON: value ?? [])
            return
        }
        if let problem = CloudEventEnvelope.problem(header: { header($0).map { $0[...] } }, valueCount: value?.count ?? 0) {
            throw problem
        }
        func required(_ name: String) -> String {
            String(decoding: header(name) ?? [], as: UTF8.self)
        }
        guard let time = EventCodec.parseTime(bytes: header(CloudEventHeader.time) ?? []) else {
            throw EventError(.invalidAttribute, "ce_time is not an RFC 3339 timestamp")
        }
        self.init(
            id: required(CloudEventHeader.id),
            source: required(CloudEventHeader.source),
            type: required(CloudEventHeader.type),
            time: time,
            subject: header(CloudEventHeader.subject).map { String(decoding: $0, as: UTF8.self) },
            tenantId: header(CloudEventHeader.tenantId).map { String(decoding: $0, as: UTF8.self) },
            dataContentType: contentType ?? Self.jsonContentType,
            data: value ?? []
        )
    }

    /// Reads a structured-mode event: one JSON object holding the attributes and `data`.
    public init(structuredJSON bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw EventError(.emptyPayload, "record has no value") }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw EventError(.undecodablePayload, "structured event is not a JSON object")
            }
            object = parsed
        } catch let error as EventError {
            throw error
        } catch {
            throw EventError(.undecodablePayload, "structured event is not valid JSON")
        }
        func string(_ key: String, required: Bool = true) throws -> String? {
            guard let value = object[key] else {
                if required { throw EventError(.missingAttribute, "attribute \(key) is missing") }
                return nil
            }
            guard let text = value as? String else {
                throw EventError(.invalidAttribute, "attribute \(key) is not a string")
            }
            return text
        }
        guard try string("specversion") == Self.specVersion else {
            throw EventError(.invalidAttribute, "unsupported CloudEvents specversion")
        }
        let time = try string("time", required: false).map {
            guard let time = EventCodec.parseTime($0) else {
                throw EventError(.invalidAttribute, "time is not an RFC 3339 timestamp")
            }
            return time
        } ?? Date()
        let data: [UInt8]
        if let base64 = try string("data_base64", required: false) {
            guard let decoded = Data(base64Encoded: base64) else {
                throw EventError(.invalidAttribute, "data_base64 is not base64")
            }
            data = Array(decoded)
        } else if let payload = object["data"] {
            data = Array(try JSONSerialization.data(withJSONObject: payload, options: [.fragmentsAllowed]))
        } else {
            throw EventError(.emptyPayload, "structured event has no data")
        }
        self.init(
            id: try string("id")!,
            source: try string("source")!,
            type: try string("type")!,
            time: time,
            subject: try string("subject", required: false),
            tenantId: try string("tenantid", required: false),
            dataContentType: try string("datacontenttype", required: false) ?? Self.jsonContentType,
            data: data
        )
    }
}
