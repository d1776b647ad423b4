import IntelliCoreConcurrency
import Logging
import Metrics

/// An idempotent Kafka producer whose sends complete when the broker has acknowledged them.
///
/// Delivery reports are served by a dedicated poll thread, never by Swift's cooperative pool.
/// When librdkafka's local queue is full, `send` waits for room instead of failing.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let pollThread: DedicatedThread
    private let stopPolling = AtomicFlag()
    private let closed = AtomicFlag()
    private let logger: Logger
    private let queueFullWaits = Counter(label: "intellicore_kafka_producer_queue_full_waits_total")

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.logger = logger
        self.client = try RDKafkaClient.producer(properties: configuration.librdkafkaProperties, logger: logger)
        self.pollThread = DedicatedThread(name: "kafka-producer-poll")
        pollThread.execute { [client, stopPolling] in
            while !stopPolling.isSet {
                client.serveEvents(timeoutMilliseconds: 100)
            }
        }
    }

    deinit {
        if !closed.isSet {
            stopPolling.set()
            pollThread.shutdown()
            client.destroy()
        }
    }

    /// Produces one record and returns where it landed, or throws the delivery error.
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        try await send([message])[0].get()
    }

    /// Produces records in order and returns each one's outcome, in the same order.
    ///
    /// Records with the same key land in the same partition in the order given.
    public func send(_ messages: [KafkaProducerMessage]) async throws -> [Result<KafkaDeliveryReport, KafkaError>] {
        try await enqueue(messages).results()
    }

    /// Hands records to librdkafka in order and returns without waiting for acknowledgements;
    /// `results()` on the answer waits for them. Two calls made one after the other keep their
    /// order per partition even when their acknowledgements are awaited concurrently.
    public func enqueue(_ messages: [KafkaProducerMessage]) async throws -> KafkaDelivery {
        guard !closed.isSet else { throw KafkaError(.closed, "producer is shut down") }
        let tracker = DeliveryTracker(count: messages.count)
        let delivery = KafkaDelivery(tracker: tracker, topics: messages.map { $0.topic })
        if messages.isEmpty { return delivery }
        tracker.retainUntilComplete()
        var call = ProduceCall()
        for (index, message) in messages.enumerated() {
            while client.produce(message, call: &call, tracker: tracker, index: index) == .queueFull {
                queueFullWaits.increment()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        return delivery
    }

    /// Hands the records of `batch` at `positions` (every record when nil) to librdkafka in that
    /// order, straight from the batch's arena, and returns without waiting for acknowledgements;
    /// `results()` answers in the order of `positions`.
    public func enqueue(_ batch: KafkaProducerBatch, positions: [Int]? = nil) async throws -> KafkaDelivery {
        guard !closed.isSet else { throw KafkaError(.closed, "producer is shut down") }
        let count = positions?.count ?? batch.count
        let tracker = DeliveryTracker(count: count)
        let delivery = KafkaDelivery(tracker: tracker, topics: (0..<count).map { batch.topic(at: positions?[$0] ?? $0) })
        if count == 0 { return delivery }
        tracker.retainUntilComplete()
        var call = ProduceCall()
        var next = 0
        while next < count {
            // Produced from the arena until librdkafka's queue is full, then waits for room.
            next = batch.bytes.withUnsafeBytes { arena in
                var index = next
                while index < count {
                    let outcome = client.produce(batch, record: positions?[index] ?? index, base: arena.baseAddress!, call: &call,
                                                 tracker: tracker, index: index)
                    if outcome == .queueFull { break }
                    index += 1
                }
                return index
            }
            if next < count {
                queueFullWaits.increment()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        return delivery
    }

    /// Records produced but not yet acknowledged.
    public var outstandingCount: Int { client.outstandingCount }

    /// Waits until every outstanding record has a delivery report, or throws on timeout.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while outstandingCount > 0 {
            guard clock.now < deadline else {
                throw KafkaError(.timeout, "\(outstandingCount) records still unacknowledged after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Flushes, stops the poll thread and frees the client. Safe to call twice.
    public func shutdown(flushTimeout: Duration = .seconds(30)) async {
        guard !closed.isSet else { return }
        do {
            try await flush(timeout: flushTimeout)
        } catch {
            logger.error("producer shut down with unacknowledged records", metadata: ["error": "\(error)"])
        }
        guard closed.setOnce() else { return }
        stopPolling.set()
        // The poll loop ends within 100 ms; the client is then destroyed on the same thread.
        _ = try? await pollThread.run { [client] in client.destroy() }
        pollThread.shutdown()
    }
}

/// Records handed to librdkafka by `KafkaProducer.enqueue`, whose acknowledgements may still be coming.
public struct KafkaDelivery: Sendable {
    let tracker: DeliveryTracker
    let topics: [String]

    public var count: Int { topics.count }

    /// Each record's outcome, in the order given, once every one has its delivery report.
    public func results() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await tracker.waitForAll()
        return topics.indices.map { tracker.result($0, topic: topics[$0]) }
    }
}
