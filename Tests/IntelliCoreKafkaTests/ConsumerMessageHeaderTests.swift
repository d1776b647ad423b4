import IntelliCoreKafka
import Testing

@Suite struct ConsumerMessageHeaderTests {
    let message = KafkaConsumerMessage(topic: "t", partition: 0, offset: 7, key: nil, value: [1], headers: [
        KafkaHeader(name: "ce_id", string: "a-1"),
        KafkaHeader(name: "empty", value: nil),
        KafkaHeader(name: "ce_type", string: "io.intellicore.prediction.requested.v1"),
        KafkaHeader(name: "ce_id", string: "a-2"),
        KafkaHeader(name: "ünïcode-näme", string: "wert"),
    ])

    @Test func headersComeBackInOrderWithTheirValues() {
        #expect(message.headers.map(\.name) == ["ce_id", "empty", "ce_type", "ce_id", "ünïcode-näme"])
        #expect(message.headers[1].value == nil)
        #expect(message.headers[4].value == Array("wert".utf8))
    }

    @Test func singleHeadersAreReadInPlaceAndTheLastRepeatWins() {
        #expect(message.headerString(named: "ce_id") == "a-2")
        #expect(message.headerString(named: "ünïcode-näme") == "wert")
        #expect(message.header(named: "missing") == nil)
        #expect(message.header(named: "empty") == nil && message.hasHeader(named: "empty") && !message.hasHeader(named: "missing"))
        #expect(message.header(named: "ce_type", equals: "io.intellicore.prediction.requested.v1"))
        #expect(!message.header(named: "ce_type", equals: "io.intellicore.prediction.requested"))
        #expect(message.header(named: "ce_type", hasPrefix: "io.intellicore."))
        #expect(!message.header(named: "empty", hasPrefix: ""), "a header without a value has no prefix")
    }

    @Test func replacingTheHeadersReplacesThemAll() {
        var copy = message
        copy.headers = [KafkaHeader(name: "only", string: "one")]
        #expect(copy.headers.count == 1 && copy.headerString(named: "only") == "one" && copy.header(named: "ce_id") == nil)
        #expect(message.headerString(named: "ce_id") == "a-2", "the original is a separate value")
    }
}
