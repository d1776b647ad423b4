import Foundation
import IntelliCoreKafka
import Logging

/// One record at a time through the broker: produce, then consume with the platform's client,
/// and report the produce→consume latency percentiles. This is the floor under any pipeline
/// that crosses the broker twice (request in, answer out).
enum LatencyProbe {
    /// - Parameter group: consume as a member of this new group (subscribe) instead of assigning.
    static func run(bootstrap: String, topic: String, partitions: Int, count: Int, interval: Duration, group: String?, lingerMilliseconds: Int = 0, logger: Logger) async throws -> [Double] {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap, lingerMilliseconds: lingerMilliseconds), logger: logger)
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: bootstrap, groupId: group), logger: logger)
        if group != nil {
            try consumer.subscribe(topics: [topic])
        } else {
            try consumer.assign((0..<Int32(partitions)).map { KafkaTopicPartition(topic: topic, partition: $0, offset: KafkaOffset.end) })
        }
        try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: nil, value: [0]))
        // Wait for the priming record, which also waits out a group join.
        let primingDeadline = ContinuousClock.now + .seconds(30)
        while try await consumer.poll(maxMessages: 10, timeout: .milliseconds(200)).isEmpty && ContinuousClock.now < primingDeadline {}
        let clock = ContinuousClock()
        let origin = clock.now
        let sender = Task {
            for _ in 0..<count {
                let sent = (clock.now - origin) / .nanoseconds(1)
                let stamp = withUnsafeBytes(of: Int64(sent).littleEndian, Array.init)
                try await producer.send(KafkaProducerMessage(topic: topic, partition: 0, key: nil, value: stamp))
                try await Task.sleep(for: interval)
            }
        }
        var latencies: [Double] = []
        let deadline = clock.now + .seconds(60)
        while latencies.count < count && clock.now < deadline {
            for message in try await consumer.poll(maxMessages: 100, timeout: .milliseconds(100)) {
                guard let value = message.value, value.count == 8 else { continue }
                let sent = value.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
                latencies.append(Double((clock.now - origin) / .nanoseconds(1) - Double(sent)) / 1e6)
            }
        }
        try await sender.value
        await consumer.close()
        await producer.shutdown()
        return latencies.sorted()
    }
}
