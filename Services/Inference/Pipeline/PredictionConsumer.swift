import IntelliCoreConcurrency
import IntelliCoreKafka
import Logging
import ServiceLifecycle

/// The hot path: batch-consume requests, process, produce answers, and store offsets only after
/// every answer of the batch has its delivery report. The next batch is processed while the
/// previous one is being delivered; offsets are still stored in order.
struct PredictionConsumer: Service {
    let consumer: KafkaConsumer
    let topic: String
    let processor: PredictionProcessor
    let producer: KafkaProducer
    let deadLetters: DeadLetterPublisher
    let maxBatch: Int
    let logger: Logger

    func run() async throws {
        try consumer.subscribe(topics: [topic])
        var delivering: Task<Void, any Error>?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch = try await consumer.poll(maxMessages: maxBatch, timeout: .milliseconds(20))
            if batch.isEmpty { continue }
            let output = await processor.process(batch)
            try await delivering?.value
            delivering = Task { [consumer, producer, deadLetters, logger] in
                try await Self.deliver(output, for: batch, consumer: consumer, producer: producer, deadLetters: deadLetters, logger: logger)
            }
        }
        try await delivering?.value
        await consumer.close()
    }

    /// Sends until every answer is acknowledged (never drops one), then stores the offsets.
    static func deliver(_ output: PredictionProcessor.Output, for batch: [KafkaConsumerMessage], consumer: KafkaConsumer,
                        producer: KafkaProducer, deadLetters: DeadLetterPublisher, logger: Logger) async throws {
        var pending = output.results
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        while !pending.isEmpty {
            let results = try await producer.send(pending)
            let failed = zip(pending, results).compactMap { message, result -> KafkaProducerMessage? in
                if case .failure = result { return message } else { return nil }
            }
            if !failed.isEmpty {
                logger.warning("results not delivered; retrying", metadata: ["count": "\(failed.count)"])
                try await Task.sleep(for: backoff.next())
            }
            pending = failed
        }
        for (message, reason) in output.deadLetters {
            try await deadLetters.publish(message, reason: reason)
        }
        try consumer.storeOffsets(for: batch)
    }
}
