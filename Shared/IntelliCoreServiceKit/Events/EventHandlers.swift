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

    /// What a batch handler leaves for the second part of its transaction.
    typealias Completion = @Sendable (EventTransaction) async throws -> Void

    private var entries: [String: @Sendable (CloudEvent) throws -> Prepared] = [:]
    private var stages: [String: @Sendable ([any Sendable], EventTransaction) async throws -> Completion] = [:]

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
        stages[Event.eventType] = { items, _ in
            { transaction in try await body(items.compactMap { $0 as? Item }, transaction) }
        }
    }

    /// Registers a batch handler in two stages, so that a consumer that keeps two transactions
    /// in flight (`EventConsumerService.Transactions.pipelined`) overlaps the heavy part of one
    /// batch with the end of the previous one.
    ///
    /// `stage` may run while the previous batch's transaction is still open: it must be
    /// idempotent and must only take row locks that no `complete` ever takes (inserting rows
    /// unique by event id is the typical case; a conflict with the previous batch's rows waits
    /// for its commit). `complete` gets what `stage` returned and runs once the previous batch
    /// committed, in batch order: updates of shared rows (aggregates, quotas) belong there.
    /// Consumers that run one transaction at a time run both in the same transaction, with the
    /// batch's single-event handlers between them, as a pipelined consumer does.
    /// PostgreSQL refusing the data of `stage` (SQLSTATE class 22, a NOT NULL or CHECK
    /// violation) redoes the batch one event at a time and dead-letters the event refused.
    public mutating func onBatch<Event: DomainEvent, Item: Sendable, Staged: Sendable>(
        _ type: Event.Type,
        read: @escaping @Sendable (CloudEvent) throws -> Item,
        stage: @escaping @Sendable ([Item], EventTransaction) async throws -> Staged,
        complete: @escaping @Sendable (Staged, EventTransaction) async throws -> Void
    ) {
        entries[Event.eventType] = { event in .batched(type: Event.eventType, item: try read(event)) }
        stages[Event.eventType] = { items, transaction in
            let staged = try await stage(items.compactMap { $0 as? Item }, transaction)
            return { transaction in try await complete(staged, transaction) }
        }
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

    /// Runs the first stage of the batch handler of `type` on its items; returns the rest.
    func stage(_ type: String, _ items: [any Sendable], _ transaction: EventTransaction) async throws -> Completion {
        guard let stage = stages[type] else { return { _ in } }
        return try await stage(items, transaction)
    }

    /// Decodes the payload of a handled event (throwing `EventError` when it cannot be); nil for
    /// a type this consumer does not handle.
    func prepare(_ event: CloudEvent) throws -> Prepared? {
        guard let entry = entries[event.type] else { return nil }
        return try entry(event)
    }
}
