import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO
import Synchronization

/// One PostgreSQL transaction of a service: what a handler or an HTTP route writes in it commits
/// together, with the events it publishes through the outbox and, for a handler, the inbox row.
///
/// `afterCommit` actions (updating in-memory state such as a routing table) run only once the
/// transaction committed, never for a rolled-back one.
public final class EventTransaction: Sendable {
    public let connection: PostgresConnection
    public let logger: Logger
    let publisher: EventPublisher
    private let actions = Mutex<[@Sendable () -> Void]>([])

    init(connection: PostgresConnection, publisher: EventPublisher, logger: Logger) {
        self.connection = connection
        self.publisher = publisher
        self.logger = logger
    }

    /// Runs `action` after the transaction commits.
    public func afterCommit(_ action: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(action) }
    }

    /// Writes `event` to the outbox in this transaction, stamped with this service as `ce_source`,
    /// a new `ce_id` and the tenant; it is published on its own topic once the transaction commits.
    /// Returns the envelope (its `id` is the event's `ce_id`).
    @discardableResult
    public func publish<Event: DomainEvent>(_ event: Event, key: String?, subject: String? = nil,
                                            tenantId: String?) async throws -> CloudEvent {
        try await publisher.publish(event, key: key, subject: subject, tenantId: tenantId, on: connection, logger: logger)
    }

    func runCommitActions() {
        let pending = actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        pending.forEach { $0() }
    }
}

/// Stamps and enqueues a service's events in its outbox.
public struct EventPublisher: Sendable {
    public let outbox: Outbox
    /// `/intellicore/<service>`.
    public let source: String
    public let topics: TopicNames

    public init(outbox: Outbox, source: String, topics: TopicNames) {
        self.outbox = outbox
        self.source = source
        self.topics = topics
    }

    @discardableResult
    public func publish<Event: DomainEvent>(_ event: Event, key: String?, subject: String?, tenantId: String?,
                                            on connection: PostgresConnection, logger: Logger) async throws -> CloudEvent {
        let envelope = try CloudEvent(event, source: source, subject: subject ?? key, tenantId: tenantId)
        try await outbox.enqueue(envelope, topic: topics[Event.topic], key: key, on: connection, logger: logger)
        return envelope
    }
}

extension PostgresClient {
    /// Runs `body` in one transaction and its `afterCommit` actions once it committed. The error
    /// `body` throws reaches the caller as it was thrown.
    func withEventTransaction<Result: Sendable>(publisher: EventPublisher, logger: Logger,
                                                _ body: (EventTransaction) async throws -> Result) async throws -> Result {
        let (result, transaction): (Result, EventTransaction)
        do {
            (result, transaction) = try await withTransaction(logger: logger) { connection in
                let transaction = EventTransaction(connection: connection, publisher: publisher, logger: logger)
                return (try await body(transaction), transaction)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
        transaction.runCommitActions()
        return result
    }
}
