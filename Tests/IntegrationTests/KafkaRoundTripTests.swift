import Foundation
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import Testing

@Suite(.serialized, .timeLimit(.minutes(3)))
struct KafkaRoundTripTests {
    @Test func eventRoundTripKeepsHeadersAndCloudEventAttributes() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("roundtrip", partitions: 3)
        let producer = try env.producer()
        let payload = ModelDeployed(modelName: "churn", alias: "champion", version: 4, previousVersion: 3, trafficPolicy: .single(4))
        let event = try CloudEvent(payload, source: "/intellicore/it", subject: "churn", tenantId: "acme")
        var message = KafkaProducerMessage(event: event, topic: topic, key: "churn")
        message.headers.append(KafkaHeader(name: "traceparent", string: "00-abc-def-01"))
        let report = try await producer.send(message)
        #expect(report.topic == topic && report.offset >= 0)
        let received = try await env.readAll(topic, partitions: 3, count: 1)
        let record = try #require(received.first)
        #expect(record.partition == report.partition && record.offset == report.offset)
        #expect(record.keyString == "churn")
        #expect(record.headers.string(named: "traceparent") == "00-abc-def-01")
        #expect(record.headers.string(named: "ce_type") == "intellicore.model.deployed.v1")
        let decoded = try record.cloudEvent()
        #expect(decoded.id == event.id && decoded.source == "/intellicore/it" && decoded.subject == "churn" && decoded.tenantId == "acme")
        #expect(try decoded.decode(as: ModelDeployed.self) == payload)
        await producer.shutdown()
    }

    @Test func sameKeyKeepsOrderAcrossBatches() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("order", partitions: 4)
        let producer = try env.producer()
        for batch in 0..<5 {
            let results = try await producer.send((0..<200).map { i in
                KafkaProducerMessage(topic: topic, key: "key\(i % 7)", value: Array("\(batch * 200 + i)".utf8))
            })
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
        }
        let received = try await env.readAll(topic, partitions: 4, count: 1000)
        #expect(received.count == 1000)
        for key in 0..<7 {
            let values = received.filter { $0.keyString == "key\(key)" }.map { Int(String(decoding: $0.value!, as: UTF8.self))! }
            #expect(values == values.sorted(), "key\(key) out of order")
        }
        await producer.shutdown()
    }
}
