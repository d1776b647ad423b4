import IntelliCoreConcurrency
import IntelliCoreEvents
import IntelliCoreKafka
import Logging
import Metrics
import ServiceLifecycle

/// Thrown by a handler for an event that can never be processed; the event goes to the dead
/// letter topic with `reason` and the consumer moves on. Any other error is treated as
/// transient and the event is retried with backoff.
public struct EventRejection: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Consumes platform events in a consumer group with at-least-once delivery.
///
/// Per record: undecodable envelopes go to the dead letter topic; types this consumer does not
/// handle are skipped and counted; handled ones are passed to `handler`, which should make its
/// effects idempotent through an `Inbox`. Offsets are stored after the batch is processed.
/// On graceful shutdown the current batch finishes and the consumer commits and leaves the group.
public struct EventConsumerService: Service {
    public typealias Handler = @Sendable (CloudEvent, KafkaConsumerMessage) async throws -> Void

    let consumer: KafkaConsumer
    let topics: [String]
    let handledTypes: Set<String>
    let deadLetters: DeadLetterPublisher
    let batchSize: Int
    let logger: Logger
    let handler: Handler
    private let processed: Counter
    private let skipped: Counter
    private let deadLettered: Counter
    private let retried: Counter

    public init(consumer: KafkaConsumer, topics: [String], handledTypes: Set<String>, deadLetters: DeadLetterPublisher,
                batchSize: Int = 500, logger: Logger, handler: @escaping Handler) {
        self.consumer = consumer
        self.topics = topics
        self.handledTypes = handledTypes
        self.deadLetters = deadLetters
        self.batchSize = batchSize
        self.logger = logger
        self.handler = handler
        let group = consumer.configuration.groupId ?? "none"
        processed = Counter(label: "intellicore_events_processed_total", dimensions: [("group", group)])
        skipped = Counter(label: "intellicore_events_skipped_total", dimensions: [("group", group)])
        deadLettered = Counter(label: "intellicore_events_deadlettered_total", dimensions: [("group", group)])
        retried = Counter(label: "intellicore_events_retried_total", dimensions: [("group", group)])
    }

    public func run() async throws {
        try consumer.subscribe(topics: topics)
        defer { logger.info("event consumer stopped", metadata: ["kafka.topics": "\(topics)"]) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch = try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100))
            var done: [KafkaConsumerMessage] = []
            done.reserveCapacity(batch.count)
            for message in batch {
                guard await process(message) else { break }
                done.append(message)
            }
            try consumer.storeOffsets(for: done)
            if done.count < batch.count { break }
        }
        await consumer.close()
    }

    /// Handles one record until it is done; false when shutdown interrupted its retries.
    private func process(_ message: KafkaConsumerMessage) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        while true {
            do {
                let event: CloudEvent
                do {
                    event = try message.cloudEvent()
                } catch {
                    try await deadLetter(message, reason: "undecodable event envelope: \(error)")
                    return true
                }
                guard handledTypes.contains(event.type) else {
                    skipped.increment()
                    if EventCatalog.eventType(named: event.type) == nil {
                        logger.debug("skipping unknown event type", metadata: ["event.type": "\(event.type)"])
                    }
                    return true
                }
                do {
                    try await handler(event, message)
                    processed.increment()
                } catch let rejection as EventRejection {
                    try await deadLetter(message, reason: rejection.reason)
                } catch let error as EventError {
                    try await deadLetter(message, reason: "undecodable \(event.type) payload: \(error)")
                }
                return true
            } catch {
                retried.increment()
                let delay = backoff.next()
                logger.warning("event handling failed; retrying", metadata: [
                    "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                    "kafka.offset": "\(message.offset)", "error": "\(String(reflecting: error))", "retry.delay": "\(delay)",
                ])
                if Task.isShuttingDownGracefully { return false }
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
