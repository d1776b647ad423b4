import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
@testable import IntelliCoreServiceKit
import Testing

/// What every service materialises from `intellicore.tenants`, through the kit's consumer.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct APIKeyStoreTests {
    /// A re-sent issue is a no-op; an issue that would rebind a key id to another hash is refused
    /// onto the dead-letter topic with its reason, and the keys after it still take effect; a
    /// revoked key stays revoked when its issue is re-sent.
    @Test func aKeyIdIsIssuedOnceAndAConflictingIssueNeverBlocksTheTopic() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("tenants", partitions: 1)
        let deadLetterTopic = try await env.topic("tenants-dlq", partitions: 1)
        let producer = try env.producer()
        let (first, other, second) = (APIKeyAuthenticator.hash("key-1"), APIKeyAuthenticator.hash("key-1-again"), APIKeyAuthenticator.hash("key-2"))
        @Sendable func record(_ event: some DomainEvent) throws -> KafkaProducerMessage {
            KafkaProducerMessage(event: try CloudEvent(event, source: "/it", tenantId: "t1"), topic: topic, key: "t1")
        }
        let issueFirst = ApiKeyIssued(tenantId: "t1", keyId: "k1", keyHash: first, role: .developer)
        for result in try await producer.send([
            try record(TenantCreated(tenantId: "t1", name: "T1", plan: "free")),
            try record(issueFirst),
            try record(issueFirst),
            try record(ApiKeyIssued(tenantId: "t1", keyId: "k1", keyHash: other, role: .admin)),
            try record(ApiKeyIssued(tenantId: "t1", keyId: "k2", keyHash: second, role: .viewer)),
        ]) { _ = try result.get() }

        try await env.withSchema("apikeys") { client, schema in
            let directory = APIKeyDirectory()
            let service = try EventConsumerServiceTests.consumer(
                env, client: client, schema: schema, topic: topic, deadLetterTopic: deadLetterTopic, producer: producer,
                transactions: .perEvent, handlers: APIKeyStore(schema: schema, directory: directory, changes: ChangeChannel(schema: schema.rawValue, what: "api_keys")).handlers)
            let task = Task { try await service.run() }
            #expect(try await eventually { directory.caller(forKeyHash: second) != nil }, "the key after the refused one never took effect")
            #expect(directory.caller(forKeyHash: first) == Caller(tenantId: "t1", keyId: "k1", role: .developer))
            #expect(directory.caller(forKeyHash: other) == nil, "a key id is never rebound to another key")
            let dead = try await env.readAll(deadLetterTopic, partitions: 1, count: 1)
            try #require(dead.count == 1)
            #expect(dead[0].headers.string(named: DeadLetterHeader.error)?.contains("collides") == true)

            // Revoked, then its issue re-sent, then a marker key: once the marker is in, both were handled.
            let marker = APIKeyAuthenticator.hash("key-3")
            for result in try await producer.send([try record(ApiKeyRevoked(tenantId: "t1", keyId: "k1")), try record(issueFirst),
                                                   try record(ApiKeyIssued(tenantId: "t1", keyId: "k3", keyHash: marker, role: .viewer))]) {
                _ = try result.get()
            }
            #expect(try await eventually { directory.caller(forKeyHash: marker) != nil })
            #expect(directory.caller(forKeyHash: first) == nil, "a revoked key stays revoked")
            // Reloaded from the table as at a restart: the same state.
            let reloaded = APIKeyDirectory()
            try await APIKeyStore(schema: schema, directory: reloaded, changes: ChangeChannel(schema: schema.rawValue, what: "api_keys")).load(client: client, logger: env.logger)
            #expect(reloaded.caller(forKeyHash: first) == nil && reloaded.caller(forKeyHash: other) == nil)
            #expect(reloaded.caller(forKeyHash: second)?.keyId == "k2")
            task.cancel()
            _ = try? await task.value
        }
        await producer.shutdown()
    }
}
