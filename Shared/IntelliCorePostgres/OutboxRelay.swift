import IntelliCoreConcurrency
import IntelliCoreEventBus
import IntelliCoreKafka
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Publishes committed outbox rows to Kafka, in commit order, and marks them after the broker
/// acknowledged them.
///
/// It is woken by the `NOTIFY` that `Outbox.enqueue` sends on commit (and looks anyway every
/// `fallbackInterval`, for a notification missed while reconnecting). One relay per schema works
/// at a time: it holds a session advisory lock on its own connection, so rows with the same key
/// keep their order across replicas, and no transaction stays open while Kafka acknowledges.
/// A crash between the acknowledgement and the mark republishes those rows with the same
/// `ce_id`; consumers dedupe them through their inbox.
public struct OutboxRelay: Service {
    public struct Settings: Sendable {
        /// Rows per round; default 500.
        public var batchSize: Int
        /// The longest wait without a notification; default 2 s.
        public var fallbackInterval: Duration

        public init(batchSize: Int = 500, fallbackInterval: Duration = .seconds(2)) {
            self.batchSize = batchSize
            self.fallbackInterval = fallbackInterval
        }
    }

    let client: PostgresClient
    let outbox: Outbox
    let producer: KafkaProducer
    let settings: Settings
    let logger: Logger
    private let published: Counter

    public init(client: PostgresClient, outbox: Outbox, producer: KafkaProducer, settings: Settings = Settings(), logger: Logger) {
        self.client = client
        self.outbox = outbox
        self.producer = producer
        self.settings = settings
        self.logger = logger
        self.published = Counter(label: "intellicore_outbox_published_total", dimensions: [("schema", outbox.schema.rawValue)])
    }

    public func run() async throws {
        let wake = WakeSignal()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listen(waking: wake) }
                await publish(wokenBy: wake)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            wake.signal()
        }
    }

    /// Publishes one batch if no other relay of this schema is working; returns how many rows it
    /// marked published.
    public func relayOnce() async throws -> Int {
        try await client.withConnection { connection in
            try await whileLocked(connection) { try await publishBatch(on: connection) } ?? 0
        }
    }

    private var running: Bool { !Task.isCancelled && !Task.isShuttingDownGracefully }

    /// Holds the lock on one connection and publishes until told to stop.
    private func publish(wokenBy wake: WakeSignal) async {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        while running {
            do {
                try await client.withConnection { connection in
                    let held: Void? = try await whileLocked(connection) {
                        while running {
                            let count = try await publishBatch(on: connection)
                            backoff.reset()
                            if count < settings.batchSize { await wake.wait(timeout: settings.fallbackInterval) }
                        }
                    }
                    // Another replica relays this schema; take over if it goes away.
                    if held == nil { await wake.wait(timeout: settings.fallbackInterval) }
                }
            } catch {
                if !running { return }
                let delay = backoff.next()
                logger.warning("outbox relay round failed; retrying", metadata: [
                    "error": "\(String(reflecting: error))", "retry.delay": "\(delay)",
                ])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Turns notifications on the schema's channel into wake-ups, reconnecting after failures.
    private func listen(waking wake: WakeSignal) async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: outbox.channel) { notifications in
                        backoff.reset()
                        wake.signal()  // rows committed while nobody listened
                        for try await _ in notifications { wake.signal() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("outbox listener reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: backoff.next())
        }
    }

    private func publishBatch(on connection: PostgresConnection) async throws -> Int {
        let rows = try await outbox.pending(limit: settings.batchSize, on: connection, logger: logger)
        guard !rows.isEmpty else { return 0 }
        let results = try await producer.send(rows.map { KafkaProducerMessage(event: $0.event, topic: $0.topic, key: $0.key) })
        // Mark only the rows before the first failure: later rows are republished next round,
        // after the failed one, so per-key order holds (duplicates are deduped downstream).
        let delivered = results.prefix { if case .success = $0 { true } else { false } }.count
        try await outbox.markPublished(rows.prefix(delivered).map(\.seq), on: connection, logger: logger)
        published.increment(by: delivered)
        if delivered < rows.count, case .failure(let error) = results[delivered] {
            throw error
        }
        return delivered
    }

    private var lockKey: String { "intellicore.outbox.\(outbox.schema.rawValue)" }

    /// Runs `body` holding the schema's relay lock on `connection` (a session lock, released on
    /// every way out); nil without running it when another relay holds the lock.
    private func whileLocked<Result>(_ connection: PostgresConnection, _ body: () async throws -> Result) async throws -> Result? {
        let rows = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(lockKey)))", logger: logger)
        var acquired = false
        for try await value in rows.decode(Bool.self) { acquired = value }
        guard acquired else { return nil }
        do {
            let result = try await body()
            try await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
            throw error
        }
    }
}
