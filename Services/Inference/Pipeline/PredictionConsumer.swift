import IntelliCoreConcurrency
import IntelliCoreEventBus
import IntelliCoreKafka
import Logging
import ServiceLifecycle

/// The hot path: batch-consume requests, process, produce answers, and store offsets only after
/// every answer of a batch has its delivery report. Up to `maxInFlight` batches are being
/// delivered while the next ones are processed; offsets are stored strictly in batch order, so a
/// crash redoes exactly the batches whose answers were not all acknowledged.
struct PredictionConsumer: Service {
    let consumer: KafkaConsumer
    let topic: String
    let processor: PredictionProcessor
    let producer: KafkaProducer
    let deadLetters: DeadLetterPublisher
    let maxBatch: Int
    /// Concurrent shards a batch is processed in (`INFERENCE_WORKERS`).
    var workers = 1
    var maxInFlight = 8
    let logger: Logger

    func run() async throws {
        do {
            try await consume()
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    private func consume() async throws {
        try consumer.subscribe(topics: [topic])
        // The offsets each batch will store once delivered; the records themselves are let go.
        var inFlight: [(offsets: [KafkaTopicPartition], delivery: Task<Void, any Error>)] = []
        let clock = ContinuousClock()
        func completeOldest() async throws {
            let oldest = inFlight.removeFirst()
            let started = clock.now
            try await oldest.delivery.value
            processor.metrics.deliveryWait.recordNanoseconds(Int64((clock.now - started) / .nanoseconds(1)))
            try consumer.storeOffsets(oldest.offsets)
        }
        // The next batch is fetched on the consumer's thread while this one is processed; its
        // records stay in librdkafka's memory and are read in place, and the batch is released
        // once its answers are built (they are copied into the producer's arena). A fetched
        // batch that is never processed (shutdown) has no stored offsets, so it is read again by
        // whoever owns the partition next.
        func fetch() -> Task<KafkaRecordBatch, any Error> {
            Task { [consumer, maxBatch] in try await consumer.pollBatch(maxMessages: maxBatch, timeout: .milliseconds(20)) }
        }
        var next = fetch()
        defer { next.cancel() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pollStarted = clock.now
            let batch = try await next.value
            next = fetch()
            processor.metrics.pollWait.recordNanoseconds(Int64((clock.now - pollStarted) / .nanoseconds(1)))
            if batch.isEmpty {
                while !inFlight.isEmpty { try await completeOldest() }
                continue
            }
            let processStarted = clock.now
            let output = await processor.process(batch, workers: workers)
            processor.metrics.processing.recordNanoseconds(Int64((clock.now - processStarted) / .nanoseconds(1)))
            // Handed to librdkafka here, in batch order, so that one entity's answers reach the
            // results topic in the order of its requests; acknowledgements are awaited behind.
            let enqueued = try await producer.enqueue(output.answers)
            let delivery = Task { [producer, deadLetters, logger] in
                try await Self.deliver(output, enqueued: enqueued, producer: producer, deadLetters: deadLetters, logger: logger)
            }
            inFlight.append((batch.nextOffsets, delivery))
            if inFlight.count >= maxInFlight { try await completeOldest() }
        }
        while !inFlight.isEmpty { try await completeOldest() }
        _ = try? await next.value
    }

    /// Sends until every answer is acknowledged (never drops one).
    static func deliver(_ output: PredictionProcessor.Output, enqueued: KafkaDelivery, producer: KafkaProducer,
                        deadLetters: DeadLetterPublisher, logger: Logger) async throws {
        var pending = Array(0..<output.answers.count)
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        var attempt: KafkaDelivery? = enqueued
        while !pending.isEmpty {
            let results: [Result<KafkaDeliveryReport, KafkaError>]
            if let first = attempt { results = await first.results(); attempt = nil } else {
                results = try await producer.enqueue(output.answers, positions: pending).results()
            }
            precondition(results.count == pending.count, "one delivery result per answer sent")
            let failed = zip(pending, results).compactMap { position, result -> Int? in
                if case .failure = result { return position } else { return nil }
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
    }
}
