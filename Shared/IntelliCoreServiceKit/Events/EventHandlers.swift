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
    /// The work for one event whose payload is decoded, run inside the transaction: on its own,
    /// or as one item of its type's batch.
    enum Prepared: Sendable {
        case single(@Sendable (EventTransaction) async throws -> Void)
        case batched(type: String, item: any Sendable)
    }

    private var entries: [String: @Sendable (CloudEvent) throws -> Prepared] = [:]
    private var flushes: [String: @Sendable ([any Sendable], EventTransaction) async throws -> Void] = [:]

    public init() {}

    /// Registers `body` for events of type `Event`; a second registration for a type replaces the first.
    public mutating func on<Event: DomainEvent>(
        _ type: Event.Type,
        _ body: @escaping @Sendable (CloudEvent, Event, EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in
            let payload = try event.decode(as: Event.self)
            return .single { transaction in try await body(event, payload, transaction) }
        }
    }

    /// Registers a handler for all the new events of type `Event` in one transaction at once,
    /// for high-rate topics where one statement per batch beats one per event. `read` turns each
    /// event into an item before the transaction, and is where a bad event is refused: it
    /// throws `EventRejection` (or `EventError`) and the event goes to the dead-letter topic.
    /// `body` gets the items of the events not handled before (the inbox dropped redeliveries),
    /// in consumption order; an error it throws retries the whole batch.
    public mutating func onBatch<Event: DomainEvent, Item: Sendable>(
        _ type: Event.Type,
        read: @escaping @Sendable (CloudEvent) throws -> Item,
        _ body: @escaping @Sendable ([Item], EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in .batched(type: Event.eventType, item: try read(event)) }
        flushes[Event.eventType] = { items, transaction in try await body(items.compactMap { $0 as? Item }, transaction) }
    }

    /// Registers `body` for events of type `Event` whose payload the handler reads itself (large
    /// payloads it stores as they are, without decoding them into values first).
    public mutating func onEnvelope<Event: DomainEvent>(
        _ type: Event.Type,
        _ body: @escaping @Sendable (CloudEvent, EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in
            .single { transaction in try await body(event, transaction) }
        }
    }

    /// The `ce_type`s handled, derived from the registrations.
    public var handledTypes: Set<String> { Set(entries.keys) }

    /// Runs the batch handler of `type` on its items.
    func flush(_ type: String, _ items: [any Sendable], _ transaction: EventTransaction) async throws {
        try await flushes[type]?(items, transaction)
    }

    /// Decodes the payload of a handled event (throwing `EventError` when it cannot be); nil for
    /// a type this consumer does not handle.
    func prepare(_ event: CloudEvent) throws -> Prepared? {
        guard let entry = entries[event.type] else { return nil }
        return try entry(event)
    }
}
