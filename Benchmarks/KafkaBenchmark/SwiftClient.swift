import BenchmarkSupport
import Foundation
import IntelliCoreKafka
import Logging

/// The platform's own client, used the way services use it.
enum SwiftClient {
    static func produce(bootstrap: String, topic: String, count: Int, payload: [UInt8], logger: Logger) async throws -> Double {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap), logger: logger)
        // Warm-up: connect and obtain the idempotent producer id before timing.
        try await producer.send(KafkaProducerMessage(topic: topic, key: nil, value: payload))
        let batchSize = 10_000
        let start = ContinuousClock.now
        var sent = 1
        // Keep two batches in flight so the broker never waits on the application.
        try await withThrowingTaskGroup(of: Int.self) { group in
            var inFlight = 0
            while sent < count || inFlight > 0 {
                if sent < count && inFlight < 2 {
                    let size = min(batchSize, count - sent)
                    sent += size
                    inFlight += 1
                    let batch = (0..<size).map { i in
                        KafkaProducerMessage(topic: topic, key: Array(String(i % 1024).utf8), value: payload)
                    }
                    group.addTask {
                        let results = try await producer.send(batch)
                        if let failure = results.first(where: { if case .failure = $0 { true } else { false } }) {
                            _ = try failure.get()
                        }
                        return results.count
                    }
                } else {
                    _ = try await group.next()
                    inFlight -= 1
                }
            }
        }
        let seconds = elapsedSeconds(since: start)
        await producer.shutdown()
        return Double(count - 1) / seconds
    }

    /// Records per second read from the start of `topic`: through `poll` (each record copied) or,
    /// `inPlace`, through `pollBatch` (each record's value read in librdkafka's memory).
    static func consume(bootstrap: String, topic: String, partitions: Int, count: Int, inPlace: Bool = false,
                        logger: Logger) async throws -> Double {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupId: nil), logger: logger)
        try consumer.assign((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0), offset: KafkaOffset.beginning) })
        /// One poll: how many records came and how many value bytes they held.
        func poll(_ most: Int) async throws -> (records: Int, bytes: Int) {
            var bytes = 0
            if inPlace {
                let batch = try await consumer.pollBatch(maxMessages: most, timeout: .seconds(10))
                for record in batch { bytes &+= record.value?.count ?? 0 }
                return (batch.count, bytes)
            }
            let batch = try await consumer.poll(maxMessages: most, timeout: .seconds(10))
            for message in batch { bytes &+= message.value?.count ?? 0 }
            return (batch.count, bytes)
        }
        var received = try await poll(1).records
        let start = ContinuousClock.now
        var bytes = 0
        while received < count {
            let polled = try await poll(5000)
            guard polled.records > 0 else { throw BenchmarkError.stalled(received) }
            bytes &+= polled.bytes
            received += polled.records
        }
        let seconds = elapsedSeconds(since: start)
        await consumer.close()
        precondition(bytes > 0)
        return Double(received - 1) / seconds
    }
}

enum BenchmarkError: Error { case stalled(Int), client(String) }
