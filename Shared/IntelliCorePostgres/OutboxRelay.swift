import IntelliCoreConcurrency
import IntelliCoreKafka
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Publishes committed outbox rows to Kafka, in commit order, and marks them after the broker
/// acknowledged them.
///
/// One relay per schema works at a time (a transaction-scoped advisory lock), so rows with the
/// same key keep their order. A crash between the acknowledgement and the mark republishes those
/// rows with the same `ce_id`; consumers dedupe them through their inbox.
public struct OutboxRelay: Service {
    public struct Settings: Sendable {
        /// Rows per round; default 500.
        public var batchSize: Int
        /// Pause when the outbox is empty; default 50 ms.
        public var idleDelay: Duration

        public init(batchSize: Int = 500, idleDelay: Duration = .milliseconds(50)) {
            self.batchSize = batchSize
            self.idleDelay = idleDelay
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
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let count = try await relayOnce()
                backoff.reset()
                if count < settings.batchSize {
                    try await Task.sleep(for: settings.idleDelay)
                }
            } catch is CancellationError {
                return
            } catch {
                let delay = backoff.next()
                logger.warning("outbox relay round failed; retrying", metadata: ["error": "\(String(reflecting: error))",
                                                                                 "retry.delay": "\(delay)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Publishes one batch; returns how many rows it marked published.
    public func relayOnce() async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let lockKey = "intellicore.outbox.\(outbox.schema.rawValue)"
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
            for try await acquired in locked.decode(Bool.self) where !acquired { return 0 }
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
    }
}
