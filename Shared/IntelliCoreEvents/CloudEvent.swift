import Foundation

/// A CloudEvents 1.0 envelope around one domain event.
///
/// On Kafka it travels in binary mode: the attributes are `ce_*` headers, `content-type` names
/// the data's media type and the record value is the event's JSON data. Structured mode
/// (`application/cloudevents+json`, attributes and data in one JSON object) is accepted when
/// consuming.
public struct CloudEvent: Sendable, Hashable {
    public static let specVersion = "1.0"
    public static let jsonContentType = "application/json"
    public static let structuredContentType = "application/cloudevents+json"

    /// Unique per event; consumers dedupe on it.
    public var id: String
    /// `/intellicore/<service>`.
    public var source: String
    /// `intellicore.<noun>.<verb>.v1`.
    public var type: String
    public var time: Date
    /// The entity the event is about (dataset id, model name, request id …).
    public var subject: String?
    /// Extension attribute `tenantid`.
    public var tenantId: String?
    public var dataContentType: String
    public var data: [UInt8]

    public init(
        id: String = UUID().uuidString.lowercased(),
        source: String,
        type: String,
        time: Date = Date(),
        subject: String? = nil,
        tenantId: String? = nil,
        dataContentType: String = CloudEvent.jsonContentType,
        data: [UInt8]
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.tenantId = tenantId
        self.dataContentType = dataContentType
        self.data = data
    }

    /// Wraps a domain event, encoding its payload as JSON.
    public init<Event: DomainEvent>(
        _ event: Event,
        source: String,
        subject: String? = nil,
        tenantId: String? = nil,
        id: String = UUID().uuidString.lowercased(),
        time: Date = Date()
    ) throws {
        self.init(
            id: id, source: source, type: Event.eventType, time: time, subject: subject,
            tenantId: tenantId, data: try EventCodec.encode(event)
        )
    }

    /// Decodes the payload as `Event`, checking that the envelope's type matches.
    public func decode<Event: DomainEvent>(as _: Event.Type = Event.self) throws -> Event {
        guard type == Event.eventType else {
            throw EventError(.typeMismatch, "expected \(Event.eventType), got \(type)")
        }
        return try EventCodec.decode(Event.self, from: data)
    }
}
