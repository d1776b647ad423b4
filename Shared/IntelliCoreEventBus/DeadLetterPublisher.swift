import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import Logging
import Metrics

/// Header names a dead-lettered record carries besides its original headers.
public enum DeadLetterHeader {
    public static let originalTopic = "dlq_original_topic"
    public static let originalPartition = "dlq_original_partition"
    public static let originalOffset = "dlq_original_offset"
    public static let service = "dlq_service"
    public static let error = "dlq_error"
    public static let time = "dlq_time"
}

/// Republishes records a consumer could not process onto the dead letter topic, with the
/// original key, value and headers, plus headers saying where it came from and why it failed.
public struct DeadLetterPublisher: Sendable {
    public let producer: KafkaProducer
    public let topic: String
    public let service: String
    private let published: Counter

    public init(producer: KafkaProducer, topic: String, service: String) {
        self.producer = producer
        self.topic = topic
        self.service = service
        self.published = Counter(label: "intellicore_deadletter_published_total", dimensions: [("service", service)])
    }

    /// Sends `message` to the dead letter topic and waits for the broker's acknowledgement.
    public func publish(_ message: KafkaConsumerMessage, reason: String) async throws {
        var headers = message.headers
        headers.append(KafkaHeader(name: DeadLetterHeader.originalTopic, string: message.topic))
        headers.append(KafkaHeader(name: DeadLetterHeader.originalPartition, string: String(message.partition)))
        headers.append(KafkaHeader(name: DeadLetterHeader.originalOffset, string: String(message.offset)))
        headers.append(KafkaHeader(name: DeadLetterHeader.service, string: service))
        headers.append(KafkaHeader(name: DeadLetterHeader.error, string: reason))
        headers.append(KafkaHeader(name: DeadLetterHeader.time, string: EventCodec.formatTime(Date())))
        try await producer.send(KafkaProducerMessage(topic: topic, key: message.key, value: message.value, headers: headers))
        published.increment()
    }
}
