import IntelliCoreConcurrency
import IntelliCoreEvents
import IntelliCoreEventBus
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

extension CloudEvent {
    /// The tenant the event belongs to (`ce_tenantid`); an event about a tenant's resource
    /// without one is rejected to the dead-letter topic.
    public func owningTenant() throws(EventRejection) -> String {
        guard let tenantId, !tenantId.isEmpty else {
            throw EventRejection("\(type) has no ce_tenantid: every model, job and key belongs to a tenant")
        }
        return tenantId
    }

    /// The tenant the event belongs to, which its payload names too (`payloadTenant`): an event
    /// whose payload names another tenant than its `ce_tenantid` is rejected.
    public func owningTenant(payload payloadTenant: String) throws(EventRejection) -> String {
        let tenant = try owningTenant()
        guard payloadTenant == tenant else {
            throw EventRejection("\(type) for tenant \(payloadTenant) arrived with ce_tenantid \(tenant)")
        }
        return tenant
    }
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
        /// As `perBatchWithOffsets`, with two transactions in flight: a batch's first stage
        /// (`EventHandlers.onBatch(_:read:stage:complete:)`) runs while the previous batch's
        /// transaction finishes, on another connection; its completion and offsets wait until
        /// the previous batch committed, and it commits only after it. When a batch fails, the
        /// one after it rolls back too and both are redone one at a time, so effects and offsets
        /// still commit in batch order. For high-rate topics whose database work is the
        /// bottleneck (billing's ledger).
        case pipelined
    }

    /// The inbox consumer name: `<service>.<purpose>`.
    let name: String
    let consumer: KafkaConsumer
    let topics: [String]
    let handlers: EventHandlers
    let transactions: Transactions
    let client: PostgresClient
    /// nil when the handlers deduplicate themselves (`Deduplication.handlers`).
    let inbox: Inbox?
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
    private let redone: Counter

    /// Who makes a redelivered event a no-op.
    public enum Deduplication: Sendable, Equatable {
        /// The inbox: a row per `(consumer, ce_id)` in the event's transaction; a known id is skipped.
        case inbox
        /// The handlers themselves, by a unique key of their own rows (billing's ledger is unique
        /// by source event): every event of a batch reaches them, and they must be idempotent.
        /// Saves a write per event on high-rate topics.
        case handlers
    }

    /// Services build theirs with `ServiceContext.eventConsumer(purpose:topics:handlers:…)`.
    ///
    /// The inbox is `name`'s in `schema`; with `.perBatchWithOffsets` the offsets are stored in
    /// `schema` under the configuration's group id, and the consumer starts each assigned
    /// partition from them.
    /// - Parameter name: the inbox consumer name, `<service>.<purpose>`.
    public init(name: String, consumer configuration: KafkaConsumerConfiguration, topics: [String], handlers: EventHandlers,
                transactions: Transactions, client: PostgresClient, schema: SchemaName, publisher: EventPublisher,
                deadLetters: DeadLetterPublisher, batchSize: Int = 500, deduplication: Deduplication = .inbox, logger: Logger) throws {
        var positioner: KafkaConsumer.AssignmentPositioner?
        let storesOffsets = transactions == .perBatchWithOffsets || transactions == .pipelined
        if storesOffsets, let group = configuration.groupId {
            let store = ConsumerOffsetStore(schema: schema, group: group)
            offsets = store
            positioner = DatabaseOffsetPositioner(store: store, client: client, logger: logger).positioner
        } else if storesOffsets {
            throw KafkaError(.subscription, "offsets kept in the database belong to a consumer group; set a group id")
        } else {
            offsets = nil
        }
        self.consumer = try KafkaConsumer(configuration: configuration, logger: logger, positioner: positioner)
        self.name = name
        self.topics = topics
        self.handlers = handlers
        self.transactions = transactions
        self.client = client
        self.inbox = deduplication == .inbox ? Inbox(schema: schema, consumer: name) : nil
        self.publisher = publisher
        self.deadLetters = deadLetters
        self.batchSize = batchSize
        self.logger = logger
        processed = Counter(label: "intellicore_events_processed_total", dimensions: [("consumer", name)])
        redone = Counter(label: "intellicore_event_batches_redone_total", dimensions: [("consumer", name)])
        duplicates = Counter(label: "intellicore_events_duplicates_total", dimensions: [("consumer", name)])
        skipped = Counter(label: "intellicore_events_skipped_total", dimensions: [("consumer", name)])
        deadLettered = Counter(label: "intellicore_events_deadlettered_total", dimensions: [("consumer", name)])
        retried = Counter(label: "intellicore_events_retried_total", dimensions: [("consumer", name)])
    }

    public func run() async throws {
        do {
            try consumer.subscribe(topics: topics)
            if transactions == .pipelined {
                try await runPipelined()
            } else {
                try await runOneAtATime()
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        logger.info("event consumer stopped", metadata: ["kafka.topics": "\(topics)", "consumer": "\(name)"])
    }

    private func runOneAtATime() async throws {
            // Batch modes fetch and decode the next batch while the current one's transaction
            // runs (the consumer polls on its own thread; envelopes and payloads are read in a
            // task of their own), so Kafka, this service's decoding and PostgreSQL work at the
            // same time. A prefetched batch that is never handled (shutdown) has no offsets
            // stored: it is redelivered, and the handlers' deduplication makes that a no-op.
            let prefetching = transactions != .perEvent
            var next: Task<Polled, any Error>?
            do {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let batch = try await nextBatch(&next)
                    guard !batch.records.isEmpty else { continue }
                    if prefetching {
                        next = Task { try await poll() }
                    }
                    let done = await handle(batch)
                    try consumer.storeOffsets(for: Array(batch.records.prefix(done)))
                    if done < batch.records.count { break }
                }
            } catch {
                _ = try? await next?.value // never close the consumer under a running poll
                throw error
            }
            _ = try? await next?.value
    }

    /// A batch whose transaction may still be running, and how it ended.
    private struct Flight {
        let batch: Polled
        let landing: Task<Landing, Never>
        /// Signalled once its transaction began (or it will not begin).
        let began: WakeSignal

        /// How it ended; cancelling the caller cancels it (its task is not a child).
        var outcome: Landing {
            get async { await withTaskCancellationHandler { await landing.value } onCancel: { landing.cancel() } }
        }
    }

    /// How a pipelined batch ended: committed, or rolled back with its steps left to redo (dead
    /// letters already sent are marked done).
    enum Landing: Sendable {
        case committed
        case failed(steps: [Step])

        var committed: Bool {
            if case .committed = self { return true }
            return false
        }
    }

    /// `.pipelined`: polls and decodes batch n+1 while batch n's transaction runs beside batch
    /// n-1's. A batch's offsets are stored in Kafka (informational; the database's are the ones
    /// that count) once it committed, in batch order.
    private func runPipelined() async throws {
        var next: Task<Polled, any Error>?
        var flight: Flight?
        do {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let batch = try await nextBatch(&next)
                guard !batch.records.isEmpty else {
                    // Nothing new: land the batch in flight rather than keep it open.
                    if let pending = flight {
                        flight = nil
                        guard try await land([pending]) else { break }
                    }
                    continue
                }
                next = Task { try await poll() }
                let previous = flight, began = WakeSignal()
                let current = Flight(batch: batch, landing: Task {
                    await handleOverlapping(batch, after: previous?.landing, previousBegan: previous?.began, began: began)
                }, began: began)
                if let pending = flight {
                    flight = nil
                    if await pending.outcome.committed {
                        try consumer.storeOffsets(for: pending.batch.records)
                    } else {
                        // The current batch waits for the failed one and rolls back: redo both, in order.
                        guard try await land([pending, current]) else { break }
                        continue
                    }
                }
                flight = current
            }
            if let pending = flight { _ = try await land([pending]) }
        } catch {
            _ = try? await next?.value // never close the consumer under a running poll
            throw error
        }
        _ = try? await next?.value
    }

    /// Waits for `flights` (consecutive batches, oldest first) to end, redoes in order the ones
    /// that did not commit, one transaction at a time, and stores their offsets in Kafka. False
    /// when shutdown interrupted a redo (the rest is redelivered).
    private func land(_ flights: [Flight]) async throws -> Bool {
        var landings: [Landing] = []
        for flight in flights { landings.append(await flight.outcome) }
        for (flight, landing) in zip(flights, landings) {
            guard case .failed(let steps) = landing else {
                try consumer.storeOffsets(for: flight.batch.records)
                continue
            }
            let done = await handleAsOne(flight.batch.records[...], steps: steps[...])
            try consumer.storeOffsets(for: Array(flight.batch.records.prefix(done)))
            if done < flight.batch.records.count { return false }
        }
        return true
    }

    /// A polled batch and what each of its records asks for.
    struct Polled: Sendable {
        let records: [KafkaConsumerMessage]
        let steps: [Step]
    }

    /// The batch prefetched in `next` (taking it), or a fresh poll when none was.
    private func nextBatch(_ next: inout Task<Polled, any Error>?) async throws -> Polled {
        guard let pending = next else { return try await poll() }
        next = nil
        return try await pending.value
    }

    private func poll() async throws -> Polled {
        let records = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100))
        return Polled(records: records, steps: records.map(step(for:)))
    }

    /// Handles a polled batch in units of work: each record alone (`.perEvent`) or the whole
    /// batch at once. Returns how many records are done: fewer than the batch only when shutdown
    /// interrupted a retry.
    private func handle(_ batch: Polled) async -> Int {
        guard transactions == .perEvent else { return await handleAsOne(batch.records[...], steps: batch.steps[...]) }
        for index in batch.records.indices where await handleAsOne(batch.records[index...index], steps: batch.steps[index...index]) == 0 {
            return index
        }
        return batch.records.count
    }

    /// What one record asks for, decided without any I/O.
    enum Step: Sendable {
        case deadLetter(reason: String)
        case skip
        case handle(CloudEvent, EventHandlers.Prepared)
        /// Nothing left to do: skipped or dead-lettered by a pipelined attempt that then failed.
        case done
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

    /// A handler's rejection inside a transaction: it is rolled back and redone without the record.
    private struct Rejected: Error {
        let position: Int
        let reason: String
    }

    /// PostgreSQL refused data of a batch handler's first stage (`refusal`): the batch is redone
    /// one event at a time to find the event.
    private struct Refused: Error {
        let reason: String
    }

    /// A record to handle, at its position in the batch.
    typealias Work = (position: Int, event: CloudEvent, prepared: EventHandlers.Prepared)

    /// Handles `records` in one transaction with their inbox rows (and offsets, when kept in the
    /// database); returns their count, or 0 when shutdown interrupted a retry (nothing of them
    /// committed).
    private func handleAsOne(_ records: ArraySlice<KafkaConsumerMessage>, steps: ArraySlice<Step>) async -> Int {
        var work: [Work] = []
        for position in records.indices {
            switch steps[position] {
            case .skip:
                skipped.increment()
            case .done:
                break
            case .deadLetter(let reason):
                guard await retrying(records[position], { try await deadLetter(records[position], reason: reason) }) else { return 0 }
            case .handle(let event, let prepared):
                work.append((position, event, prepared))
            }
        }
        let positions = offsets == nil ? [] : Self.nextPositions(of: Array(records))
        while !work.isEmpty || !positions.isEmpty {
            var rejected: Rejected?
            var refused: String?
            let finished = await retrying(records[work.first?.position ?? records.startIndex]) {
                do {
                    try await transact(work, positions: positions, overlapping: false) {}
                } catch let rejection as Rejected {
                    rejected = rejection
                } catch let refusal as Refused {
                    // Data the database refuses is refused again on every retry: not transient.
                    refused = refusal.reason
                }
            }
            guard finished else { return 0 }
            if let refused, let only = work.first, work.count == 1 {
                // The one event left is what the database refuses: dead-letter it, then commit
                // the offsets (and nothing else) past it.
                guard await retrying(records[only.position], {
                    try await deadLetter(records[only.position], reason: "PostgreSQL refused \(only.event.type): \(refused)")
                }) else { return 0 }
                work.removeAll()
                continue
            } else if refused != nil {
                // Some event of the batch is refused: handle them one at a time to find it.
                return await handleOneByOne(records, work: work)
            }
            guard let rejected else { break }
            // Redo without the rejected record, after it reached the dead letter topic.
            guard await retrying(records[rejected.position], { try await deadLetter(records[rejected.position], reason: rejected.reason) }) else {
                return 0
            }
            work.removeAll { $0.position == rejected.position }
        }
        return records.count
    }

    /// Handles each record of `records` in a transaction of its own, in order (the ones not in
    /// `work` are done already); returns how many are done.
    private func handleOneByOne(_ records: ArraySlice<KafkaConsumerMessage>, work: [Work]) async -> Int {
        var steps = [Step](repeating: .done, count: records.endIndex) // indexed like the batch
        for item in work { steps[item.position] = .handle(item.event, item.prepared) }
        for position in records.indices where await handleAsOne(records[position...position], steps: steps[position...position]) == 0 {
            return position - records.startIndex
        }
        return records.count
    }

    /// Why PostgreSQL refuses an event's data, when it will refuse it on every attempt: a data
    /// exception (SQLSTATE class 22: a NUL byte in text, a number out of range, an invalid
    /// timestamp) or a NOT NULL or CHECK violation. nil for anything else (connection
    /// failures, serialization failures, deadlocks, unique violations from races are retried).
    /// Only errors of a single handler or of a batch handler's first stage are read this way:
    /// they write the events' own rows. The same error in a completion, an inbox claim or the
    /// offsets (shared state) is retried, since dead-lettering one event would not cure it.
    static func refusal(_ error: PSQLError) -> String? {
        guard error.code == .server, let state = error.serverInfo?[.sqlState],
              state.hasPrefix("22") || state == "23502" || state == "23514" else { return nil }
        return "SQLSTATE \(state): \(error.serverInfo?[.message] ?? "no message")"
    }

    /// The previous batch of a pipelined consumer did not commit, so this one must not.
    private struct PreviousBatchFailed: Error {}

    /// `.pipelined`: handles `batch` in one transaction whose first stage runs beside the
    /// previous batch's transaction, and whose completion waits for it to commit. One attempt:
    /// any failure (its own, or the previous batch's) rolls it back, for `land` to redo.
    private func handleOverlapping(_ batch: Polled, after previous: Task<Landing, Never>?, previousBegan: WakeSignal?,
                                   began: WakeSignal) async -> Landing {
        defer { began.signal() } // on every way out, so the next batch never waits for a transaction that will not begin
        var steps = batch.steps
        var work: [Work] = []
        for position in batch.records.indices {
            switch steps[position] {
            case .skip:
                skipped.increment()
                steps[position] = .done
            case .done:
                break
            case .deadLetter(let reason):
                let record = batch.records[position]
                guard await retrying(record, { try await deadLetter(record, reason: reason) }) else { return .failed(steps: steps) }
                steps[position] = .done
            case .handle(let event, let prepared):
                work.append((position, event, prepared))
            }
        }
        // Open the transaction only once the previous batch holds its connection: with one
        // connection in the pool this batch would otherwise wait in `ready` holding it, and the
        // previous batch would wait for it forever.
        await previousBegan?.wait(timeout: .seconds(86_400))
        do {
            try await transact(work, positions: Self.nextPositions(of: batch.records), overlapping: true, began: began) {
                guard await previous?.value.committed ?? true else { throw PreviousBatchFailed() }
            }
            return .committed
        } catch {
            redone.increment()
            if !(error is PreviousBatchFailed) {
                logger.info("pipelined event batch failed; redoing it one transaction at a time", metadata: [
                    "consumer": "\(name)", "error": "\(String(reflecting: error))",
                ])
            }
            return .failed(steps: steps)
        }
    }

    /// One transaction for `work`: inbox claims and the batch handlers' first stages, then
    /// `ready` (a pipelined batch waits there for the previous one to commit), then the single
    /// handlers, the batch handlers' completions and the offsets. Overlapping first stages run
    /// under a lock timeout: a first stage waiting on rows of a later batch's first stage (which
    /// in turn waits for it outside the database, where no deadlock detector sees it) fails
    /// instead of waiting forever. Throws `Rejected` for a record a single handler refused.
    private func transact(_ work: [Work], positions: [ConsumerOffsetStore.Position], overlapping: Bool, began: WakeSignal? = nil,
                          ready: @Sendable () async throws -> Void) async throws {
        let (fresh, total) = try await client.withEventTransaction(publisher: publisher, logger: logger) { transaction in
            began?.signal()
            if overlapping { try await transaction.connection.query("SET LOCAL lock_timeout = '2s'", logger: logger) }
            // Without an inbox every event reaches the handlers (they deduplicate); with one,
            // only the ids it claimed, each once.
            let new = try await inbox?.claim(eventIds: work.map(\.event.id), on: transaction.connection, logger: logger)
            var pending = new ?? []
            var singles: [(position: Int, type: String, run: @Sendable (EventTransaction) async throws -> Void)] = []
            var batches: [(type: String, items: [any Sendable])] = []
            for item in work where new == nil || pending.remove(item.event.id) != nil {
                switch item.prepared {
                case .single(let run):
                    singles.append((item.position, item.event.type, run))
                case .batched(let type, let value):
                    if let index = batches.firstIndex(where: { $0.type == type }) {
                        batches[index].items.append(value)
                    } else {
                        batches.append((type, [value]))
                    }
                }
            }
            var completions: [EventHandlers.Completion] = []
            for batch in batches {
                do {
                    completions.append(try await handlers.stage(batch.type, batch.items, transaction))
                } catch let error as PSQLError {
                    // A first stage writes only its events' own rows: data refused there is theirs.
                    throw Self.refusal(error).map(Refused.init) ?? error
                }
            }
            if overlapping { try await transaction.connection.query("RESET lock_timeout", logger: logger) }
            try await ready()
            for single in singles {
                do {
                    try await single.run(transaction)
                } catch let rejection as EventRejection {
                    throw Rejected(position: single.position, reason: rejection.reason)
                } catch let error as EventError {
                    throw Rejected(position: single.position, reason: "unusable \(single.type): \(error)")
                } catch let error as PSQLError {
                    guard let reason = Self.refusal(error) else { throw error }
                    throw Rejected(position: single.position, reason: "PostgreSQL refused \(single.type): \(reason)")
                }
            }
            for completion in completions { try await completion(transaction) }
            try await offsets?.save(positions, on: transaction.connection, logger: logger)
            return (new?.count ?? work.count, work.count)
        }
        processed.increment(by: fresh)
        duplicates.increment(by: total - fresh)
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
