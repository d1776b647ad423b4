/// A domain event: its payload type, its CloudEvents `type` string and the topic it travels on.
///
/// The type string is `intellicore.<noun>.<verb>.v1`; adding an optional field to a payload keeps
/// the version, anything else is a new type.
public protocol DomainEvent: Codable, Sendable {
    static var eventType: String { get }
    static var topic: Topic { get }
}
