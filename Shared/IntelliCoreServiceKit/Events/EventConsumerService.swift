import IntelliCoreConcurrency
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Thrown by a handler for an event that can never be processed; the event goes to the dead
/// letter topic with `reason` and the consumer moves on. Any other error is treated as
/// transient and the event is retried with backoff.
public struct EventRejection: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Consumes platform events in a consumer group: at-least-once delivery, effectively-once effects.
///
/// Per record: undecodable envelopes and payloads go to the dead letter topic; types without a
/// handler are skipped and counted; handled ones run in a PostgreSQL transaction together with
/// their inbox row, so a redelivered event is a no-op. Offsets are stored after the transaction
/// committed. On graceful shutdown the current batch finishes and the consumer commits and
/// leaves the group; it is closed on every way out of `run`.
///
/// `Transactions` picks the unit of work: one transaction per event for control-plane topics, or
/// one per polled batch (inbox rows in one statement, only new events handled) for high-rate
/// topics, optionally with the consumer's offsets written in the same transaction.
public struct EventConsumerService: Service {
    public enum Transactions: Sendable, Equatable {
        /// Each event commits on its own: rare events whose effects should show at once.
        case perEvent
        /// One transaction per polled batch.
        case perBatch
        /// One transaction per polled batch that also stores the consumer's offsets; on every
        /// assignment the consumer starts from them (Kafka's own commits are then informational).
        case perBatchWithOffsets
    }

    /// The inbox consumer name: `<service>.<purpose>`.
    let name: String
    let consumer: KafkaConsumer
    let topics: [String]
    let handlers: EventHandlers
    let transactions: Transactions
    let client: PostgresClient
    let inbox: Inbox
    let offsets: ConsumerOffsetStore?
    let publisher: EventPublisher
    let deadLetters: DeadLetterPublisher
    let batchSize: Int
    let logger: Logger
    private let processed: Counter
    private let duplicates: Counter
    private let skipped: Counter
    private let deadLettered: Counter
    private let retried: Counter

    /// Services build theirs with `ServiceContext.eventConsumer(purpose:topics:handlers:…)`.
    /// - Parameters:
    ///   - name: the inbox consumer name, `<service>.<purpose>`.
    ///   - offsets: where `.perBatchWithOffsets` stores offsets; the consumer must have been made
    ///     with a positioner reading the same store.
    public init(name: String, consumer: KafkaConsumer, topics: [String], handlers: EventHandlers, transactions: Transactions,
                client: PostgresClient, inbox: Inbox, offsets: ConsumerOffsetStore?, publisher: EventPublisher,
                deadLetters: DeadLetterPublisher, batchSize: Int = 500, logger: Logger) {
        precondition((transactions == .perBatchWithOffsets) == (offsets != nil), "offsets are stored exactly in .perBatchWithOffsets")
        self.name = name
        self.consumer = consumer
        self.topics = topics
        self.handlers = handlers
        self.transactions = transactions
        self.client = client
        self.inbox = inbox
        self.offsets = offsets
        self.publisher = publisher
        self.deadLetters = deadLetters
        self.batchSize = batchSize
        self.logger = logger
        processed = Counter(label: "intellicore_events_processed_total", dimensions: [("consumer", name)])
        duplicates = Counter(label: "intellicore_events_duplicates_total", dimensions: [("consumer", name)])
        skipped = Counter(label: "intellicore_events_skipped_total", dimensions: [("consumer", name)])
        deadLettered = Counter(label: "intellicore_events_deadlettered_total", dimensions: [("consumer", name)])
        retried = Counter(label: "intellicore_events_retried_total", dimensions: [("consumer", name)])
    }

    public func run() async throws {
        do {
            try consumer.subscribe(topics: topics)
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let batch = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100))
                guard !batch.isEmpty else { continue }
                let done = transactions == .perEvent ? await handleEachEvent(of: batch) : await handleAsOne(batch)
                try consumer.storeOffsets(for: Array(batch.prefix(done)))
                if done < batch.count { break }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        logger.info("event consumer stopped", metadata: ["kafka.topics": "\(topics)", "consumer": "\(name)"])
    }

    /// What one record asks for, decided without any I/O.
    enum Step {
        case deadLetter(reason: String)
        case skip
        case handle(CloudEvent, EventHandlers.Prepared)
    }

    func step(for message: KafkaConsumerMessage) -> Step {
        let event: CloudEvent
        do {
            event = try message.cloudEvent()
        } catch {
            return .deadLetter(reason: "undecodable event envelope: \(error)")
        }
        do {
            guard let prepared = try handlers.prepare(event) else {
                if EventCatalog.eventType(named: event.type) == nil {
                    logger.debug("skipping unknown event type", metadata: ["event.type": "\(event.type)"])
                }
                return .skip
            }
            return .handle(event, prepared)
        } catch {
            return .deadLetter(reason: "undecodable \(event.type) payload: \(error)")
        }
    }

    /// One transaction per event, in order; returns how many records are done (fewer than the
    /// batch only when shutdown interrupted a retry).
    private func handleEachEvent(of batch: [KafkaConsumerMessage]) async -> Int {
        for index in batch.indices {
            let message = batch[index]
            let finished = await retrying(message) {
                switch step(for: message) {
                case .skip:
                    skipped.increment()
                case .deadLetter(let reason):
                    try await deadLetter(message, reason: reason)
                case .handle(let event, let prepared):
                    do {
                        let fresh = try await client.withEventTransaction(publisher: publisher, logger: logger) { transaction in
                            guard try await inbox.claim(eventId: event.id, on: transaction.connection, logger: logger) else { return false }
                            try await prepared(transaction)
                            return true
                        }
                        (fresh ? processed : duplicates).increment()
                    } catch let rejection as EventRejection {
                        try await deadLetter(message, reason: rejection.reason)
                    } catch let error as EventError {
                        try await deadLetter(message, reason: "unusable \(event.type): \(error)")
                    }
                }
            }
            if !finished { return index }
        }
        return batch.count
    }

    /// A handler's rejection inside a batch transaction: the batch is rolled back and redone without it.
    private struct RejectedInBatch: Error {
        let position: Int
        let reason: String
    }

    /// One transaction for the whole batch; returns the batch's count, or 0 when shutdown
    /// interrupted a retry (nothing of it committed).
    private func handleAsOne(_ batch: [KafkaConsumerMessage]) async -> Int {
        var work: [(position: Int, event: CloudEvent, prepared: EventHandlers.Prepared)] = []
        for position in batch.indices {
            switch step(for: batch[position]) {
            case .skip:
                skipped.increment()
            case .deadLetter(let reason):
                guard await retrying(batch[position], { try await deadLetter(batch[position], reason: reason) }) else { return 0 }
            case .handle(let event, let prepared):
                work.append((position, event, prepared))
            }
        }
        let positions = offsets == nil ? [] : Self.nextPositions(of: batch)
        while true {
            var rejected: RejectedInBatch?
            let finished = await retrying(batch[work.first?.position ?? 0]) {
                do {
                    let (fresh, total) = try await client.withEventTransaction(publisher: publisher, logger: logger) { transaction in
                        let new = try await inbox.claim(eventIds: work.map(\.event.id), on: transaction.connection, logger: logger)
                        var pending = new
                        for item in work where pending.remove(item.event.id) != nil {
                            do {
                                try await item.prepared(transaction)
                            } catch let rejection as EventRejection {
                                throw RejectedInBatch(position: item.position, reason: rejection.reason)
                            } catch let error as EventError {
                                throw RejectedInBatch(position: item.position, reason: "unusable \(item.event.type): \(error)")
                            }
                        }
                        try await offsets?.save(positions, on: transaction.connection, logger: logger)
                        return (new.count, work.count)
                    }
                    processed.increment(by: fresh)
                    duplicates.increment(by: total - fresh)
                } catch let rejection as RejectedInBatch {
                    rejected = rejection
                }
            }
            guard finished else { return 0 }
            guard let rejected else { return batch.count }
            // Redo the batch without the rejected record, after it reached the dead letter topic.
            guard await retrying(batch[rejected.position], { try await deadLetter(batch[rejected.position], reason: rejected.reason) }) else {
                return 0
            }
            work.removeAll { $0.position == rejected.position }
        }
    }

    static func nextPositions(of batch: [KafkaConsumerMessage]) -> [ConsumerOffsetStore.Position] {
        KafkaConsumer.nextOffsets(of: batch).map {
            ConsumerOffsetStore.Position(topic: $0.topic, partition: $0.partition, nextOffset: $0.offset)
        }
    }

    /// Runs `work` until it succeeds, retrying transient failures with backoff; false when
    /// shutdown began while it was failing.
    private func retrying(_ message: KafkaConsumerMessage, _ work: () async throws -> Void) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        while true {
            do {
                try await work()
                return true
            } catch {
                retried.increment()
                let delay = backoff.next()
                logger.warning("event handling failed; retrying", metadata: [
                    "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                    "kafka.offset": "\(message.offset)", "error": "\(String(reflecting: error))", "retry.delay": "\(delay)",
                ])
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func deadLetter(_ message: KafkaConsumerMessage, reason: String) async throws {
        try await deadLetters.publish(message, reason: reason)
        deadLettered.increment()
        logger.warning("event sent to dead letter topic", metadata: [
            "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
            "kafka.offset": "\(message.offset)", "reason": "\(reason)",
        ])
    }
}
