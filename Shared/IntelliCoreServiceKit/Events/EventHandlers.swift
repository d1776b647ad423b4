import IntelliCoreEvents

/// The events one consumer handles, each with the code that handles it.
///
/// The handled types are the registered ones, so a type is handled exactly when a handler is
/// registered for it. Each handler gets the envelope, the decoded payload and the transaction
/// its effects commit in, together with the event's inbox row:
///
/// ```swift
/// var handlers = EventHandlers()
/// handlers.on(ModelDeployed.self) { event, deployed, transaction in
///     try await store.saveDeployment(deployed, on: transaction.connection)
///     transaction.afterCommit { registry.deploy(deployed) }
/// }
/// ```
public struct EventHandlers: Sendable {
    /// The work for one event whose payload is decoded, run inside the transaction.
    typealias Prepared = @Sendable (EventTransaction) async throws -> Void

    private var entries: [String: @Sendable (CloudEvent) throws -> Prepared] = [:]

    public init() {}

    /// Registers `body` for events of type `Event`; a second registration for a type replaces the first.
    public mutating func on<Event: DomainEvent>(
        _ type: Event.Type,
        _ body: @escaping @Sendable (CloudEvent, Event, EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in
            let payload = try event.decode(as: Event.self)
            return { transaction in try await body(event, payload, transaction) }
        }
    }

    /// Registers `body` for events of type `Event` whose payload the handler reads itself (large
    /// payloads it stores as they are, without decoding them into values first).
    public mutating func onEnvelope<Event: DomainEvent>(
        _ type: Event.Type,
        _ body: @escaping @Sendable (CloudEvent, EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in
            { transaction in try await body(event, transaction) }
        }
    }

    /// The `ce_type`s handled, derived from the registrations.
    public var handledTypes: Set<String> { Set(entries.keys) }

    /// Decodes the payload of a handled event (throwing `EventError` when it cannot be); nil for
    /// a type this consumer does not handle.
    func prepare(_ event: CloudEvent) throws -> Prepared? {
        guard let entry = entries[event.type] else { return nil }
        return try entry(event)
    }
}
