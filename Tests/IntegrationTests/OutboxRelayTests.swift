import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import PostgresNIO
import Testing

@Suite(.serialized, .timeLimit(.minutes(3)))
struct OutboxRelayTests {
    /// Committed rows are published exactly (deduped by ce_id), rolled-back ones never, in order
    /// per key, although the first relay is stopped in the middle and a second one takes over.
    @Test func publishesCommittedRowsInOrderAcrossARelayRestart() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("outbox", partitions: 3)
        try await env.withSchema("outbox") { client, schema in
            let outbox = Outbox(schema: schema)
            var committed: [(id: String, key: String)] = []
            var rolledBack: Set<String> = []
            for i in 0..<300 {
                let key = "model-\(i % 5)"
                let event = try CloudEvent(ModelRetired(modelName: key, version: i), source: "/intellicore/it", subject: key)
                if i % 10 == 9 {
                    // A transaction that fails after writing its outbox row publishes nothing.
                    _ = try? await client.withTransaction(logger: env.logger) { connection in
                        try await outbox.enqueue(event, topic: topic, key: key, on: connection, logger: env.logger)
                        throw SetupError("business rule failed")
                    }
                    rolledBack.insert(event.id)
                } else {
                    try await client.withTransaction(logger: env.logger) { connection in
                        try await outbox.enqueue(event, topic: topic, key: key, on: connection, logger: env.logger)
                    }
                    committed.append((event.id, key))
                }
            }
            func unpublished() async throws -> Int {
                let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(schema.qualified("outbox")) WHERE published_at IS NULL"), logger: env.logger)
                for try await count in rows.decode(Int.self) { return count }
                return -1
            }
            // First relay: stopped (cancelled) midway, possibly between publishing and marking.
            let firstProducer = try env.producer()
            let first = OutboxRelay(client: client, outbox: outbox, producer: firstProducer,
                                    settings: .init(batchSize: 20, fallbackInterval: .milliseconds(10)), logger: env.logger)
            let task = Task { try await first.run() }
            #expect(try await eventually { try await unpublished() <= 150 })
            task.cancel()
            _ = try? await task.value
            await firstProducer.shutdown()
            let leftByFirst = try await unpublished()
            #expect(leftByFirst > 0, "the first relay should have been stopped before finishing")

            // Second relay finishes the job.
            let secondProducer = try env.producer()
            let second = OutboxRelay(client: client, outbox: outbox, producer: secondProducer,
                                     settings: .init(batchSize: 50), logger: env.logger)
            while try await second.relayOnce() > 0 {}
            #expect(try await unpublished() == 0)
            await secondProducer.shutdown()

            let records = try await env.readAll(topic, partitions: 3, count: committed.count)
            var seen = Set<String>()
            var firstOccurrences: [(id: String, key: String)] = []
            for record in records {
                let event = try record.cloudEvent()
                if seen.insert(event.id).inserted { firstOccurrences.append((event.id, record.keyString ?? "")) }
            }
            #expect(seen == Set(committed.map(\.id)), "published set differs from committed rows")
            #expect(seen.isDisjoint(with: rolledBack))
            for key in Set(committed.map(\.key)) {
                let expected = committed.filter { $0.key == key }.map(\.id)
                let actual = firstOccurrences.filter { $0.key == key }.map(\.id)
                #expect(actual == expected, "order differs for \(key)")
            }
        }
    }
}
