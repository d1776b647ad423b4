import IntelliCoreEvents
import IntelliCoreKafka

extension KafkaProducerMessage {
    /// A binary-mode CloudEvents record: attributes as `ce_*` headers, the data as the value.
    public init(event: CloudEvent, topic: String, key: String?) {
        self.init(
            topic: topic,
            key: key,
            value: event.data,
            headers: event.kafkaHeaders.map { KafkaHeader(name: $0.name, string: $0.value) }
        )
    }
}

extension KafkaConsumerMessage {
    /// Reads the record as a CloudEvent, in binary or structured mode.
    public func cloudEvent() throws -> CloudEvent {
        try CloudEvent(kafkaHeader: { header(named: $0) }, value: value)
    }
}
