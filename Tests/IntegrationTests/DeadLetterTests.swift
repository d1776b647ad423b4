import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreServiceKit
import Synchronization
import Testing

@Suite(.serialized, .timeLimit(.minutes(3)))
struct DeadLetterTests {
    /// Poison records go to the dead letter topic with their reason and origin; the consumer
    /// keeps going, skips unknown types and processes the good records around them.
    @Test func poisonMessagesAreDeadLetteredAndTheConsumerKeepsGoing() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("poison", partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        func event(_ tenant: String) throws -> KafkaProducerMessage {
            KafkaProducerMessage(event: try CloudEvent(TenantCreated(tenantId: tenant, name: tenant, plan: "free"), source: "/it"),
                                 topic: topic, key: tenant)
        }
        var unknown = try CloudEvent(TenantCreated(tenantId: "x", name: "x", plan: "x"), source: "/it")
        unknown.type = "com.example.unknown.v1"
        var badPayload = try CloudEvent(TenantCreated(tenantId: "y", name: "y", plan: "y"), source: "/it")
        badPayload.data = Array(#"{"tenant_id": 5}"#.utf8)
        let records = [
            try event("good-1"),
            KafkaProducerMessage(topic: topic, key: "garbage", value: Array("not an event".utf8)),
            KafkaProducerMessage(topic: topic, key: nil, value: nil),
            KafkaProducerMessage(event: unknown, topic: topic, key: "x"),
            KafkaProducerMessage(event: badPayload, topic: topic, key: "y"),
            try event("rejected"),
            try event("good-2"),
        ]
        for result in try await producer.send(records) { _ = try result.get() }

        let handled = Shared<[String]>([])
        let service = EventConsumerService(
            consumer: try env.consumer(group: IntegrationEnvironment.unique("it-dlq")), topics: [topic],
            handledTypes: [TenantCreated.eventType],
            deadLetters: DeadLetterPublisher(producer: producer, topic: deadLetterTopic, service: "it"),
            logger: env.logger
        ) { event, _ in
            let tenant = try event.decode(as: TenantCreated.self)
            if tenant.tenantId == "rejected" { throw EventRejection("tenant name is reserved") }
            handled.update { $0.append(tenant.tenantId) }
        }
        let task = Task { try await service.run() }
        #expect(try await eventually(timeout: .seconds(60)) { handled.value.count == 2 })
        let dead = try await env.readAll(deadLetterTopic, partitions: 1, count: 4)
        task.cancel()
        _ = try? await task.value

        #expect(handled.value == ["good-1", "good-2"])
        #expect(dead.count == 4)
        let reasons = dead.map { $0.headers.string(named: DeadLetterHeader.error) ?? "" }
        #expect(reasons[0].contains("undecodable event envelope"))
        #expect(reasons[1].contains("undecodable event envelope"))
        #expect(reasons[2].contains("undecodable intellicore.tenant.created.v1 payload"))
        #expect(reasons[3] == "tenant name is reserved")
        #expect(dead[0].keyString == "garbage" && dead[0].value == Array("not an event".utf8))
        #expect(dead[1].key == nil && dead[1].value == nil)
        #expect(dead.allSatisfy { $0.headers.string(named: DeadLetterHeader.originalTopic) == topic })
        #expect(dead.map { $0.headers.string(named: DeadLetterHeader.originalOffset) } == ["1", "2", "4", "5"])
        #expect(dead.allSatisfy { $0.headers.string(named: DeadLetterHeader.service) == "it" })
        await producer.shutdown()
    }
}
