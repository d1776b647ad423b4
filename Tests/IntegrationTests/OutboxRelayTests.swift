import Foundation
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCorePostgres
import PostgresNIO
import Testing

@Suite(.serialized, .timeLimit(.minutes(6)))
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
                let rows = try await client.query("SELECT count(*) FROM \(unescaped: schema.qualified("outbox")) WHERE published_at IS NULL", logger: env.logger)
                for try await count in rows.decode(Int.self) { return count }
                return -1
            }
            // First relay: stopped (cancelled) midway, possibly between publishing and marking.
            let firstProducer = try env.producer()
            let first = OutboxRelay(client: client, outbox: outbox, producer: firstProducer,
                                    settings: .init(batchSize: 20, fallbackInterval: .milliseconds(10)), logger: env.logger)
            let task = Task { try await first.run() }
            // Seven rounds of 20 acknowledged sends: 0.1 s alone, but more than 30 s once in a CI
            // run of every suite at once on two cores.
            let started = ContinuousClock.now
            var left = -1
            let halfway = try await eventually(timeout: .seconds(120)) { left = try await unpublished(); return left <= 150 }
            #expect(halfway, "the first relay left \(left) rows unpublished after \(ContinuousClock.now - started)")
            if halfway { print("OutboxRelayTests: the first relay published 120 rows in \(ContinuousClock.now - started)") }
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

    /// A relay process killed with SIGKILL after the broker acknowledged a batch and before the
    /// batch's rows were marked. The test holds a `SHARE` lock on the outbox table, so the relay
    /// reads and publishes but its marking `UPDATE` waits: the kill provably lands in that gap.
    /// The next relay republishes the batch with the same `ce_id`s, and the set of distinct events
    /// equals the committed rows, in commit order per key.
    @Test func aRelayKilledBetweenAcknowledgementAndMarkRepublishesTheSameIds() async throws {
        let env = try IntegrationEnvironment.load()
        let directory = try #require(env.binaries, "INTELLICORE_BIN must point at the built executables")
        let topic = try await env.topic("outbox-kill", partitions: 3)
        let batchSize = 40
        try await env.withSchema("outbox_kill") { client, schema in
            let outbox = Outbox(schema: schema)
            var committed: [(id: String, key: String)] = []
            for i in 0..<120 {
                let key = "model-\(i % 4)"
                let event = try CloudEvent(ModelRetired(modelName: key, version: i), source: "/intellicore/it", subject: key)
                try await client.withTransaction(logger: env.logger) { connection in
                    try await outbox.enqueue(event, topic: topic, key: key, on: connection, logger: env.logger)
                }
                committed.append((event.id, key))
            }
            let outboxTable = schema.qualified("outbox")
            func unpublished() async throws -> Int {
                let rows = try await client.query("SELECT count(*)::int8 FROM \(unescaped: outboxTable) WHERE published_at IS NULL", logger: env.logger)
                for try await count in rows.decode(Int.self) { return count }
                return -1
            }
            /// The backend of a marking `UPDATE` of this outbox that waits for a lock.
            func waitingMark() async throws -> Int32? {
                let rows = try await client.query("""
                    SELECT pid FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE%' AND position(\(outboxTable) in query) > 0
                    """, logger: env.logger)
                for try await pid in rows.decode(Int32.self) { return pid }
                return nil
            }

            var onTopicAtKill = 0
            try await client.withTransaction(logger: env.logger) { connection in
                try await connection.query("LOCK TABLE \(unescaped: outboxTable) IN SHARE MODE", logger: env.logger)
                let relay = try ChildProcess(
                    executable: "\(directory)/OutboxRelayFixture", arguments: [],
                    environment: [
                        "KAFKA_BOOTSTRAP": env.kafkaBootstrap, "POSTGRES_HOST": env.postgres.host, "POSTGRES_PORT": "\(env.postgres.port)",
                        "POSTGRES_USER": env.postgres.username, "POSTGRES_PASSWORD": env.postgres.password ?? "",
                        "POSTGRES_DATABASE": env.postgres.database, "OUTBOX_SCHEMA": schema.rawValue, "OUTBOX_BATCH_SIZE": "\(batchSize)",
                        "LD_LIBRARY_PATH": ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] ?? "",
                    ],
                    logPath: FileManager.default.temporaryDirectory.appendingPathComponent("\(schema.rawValue).log").path)
                var blocked: Int32?
                let waiting = try await eventually {
                    blocked = try await waitingMark()
                    return blocked != nil || !relay.isRunning
                }
                try #require(waiting && relay.isRunning, "the relay never reached its marking UPDATE: \(relay.output)")
                onTopicAtKill = try await env.readAll(topic, partitions: 3, count: batchSize).count
                relay.signal(SIGKILL)
                #expect(try await relay.waitForExit(timeout: .seconds(10)))
                // PostgreSQL notices a vanished client only when it next writes to it: end the
                // killed process's waiting statement as its own death would have.
                if let blocked {
                    try await client.query("SELECT pg_terminate_backend(\(blocked))", logger: env.logger)
                    #expect(try await eventually { try await waitingMark() == nil })
                }
            }
            #expect(onTopicAtKill == batchSize, "one whole batch was acknowledged before the kill (\(onTopicAtKill) records)")
            #expect(try await unpublished() == committed.count, "no row was marked before the kill")

            // The next relay (once the dead one's session lock is gone) publishes everything.
            let producer = try env.producer()
            let next = OutboxRelay(client: client, outbox: outbox, producer: producer, settings: .init(batchSize: 50), logger: env.logger)
            #expect(try await eventually {
                _ = try await next.relayOnce()
                return try await unpublished() == 0
            })
            await producer.shutdown()

            let records = try await env.readAll(topic, partitions: 3, count: committed.count + batchSize)
            try #require(records.count == committed.count + batchSize, "\(records.count) records")
            var occurrences: [String: Int] = [:]
            var firstOccurrences: [(id: String, key: String)] = []
            for record in records {
                let event = try record.cloudEvent()
                occurrences[event.id, default: 0] += 1
                if occurrences[event.id] == 1 { firstOccurrences.append((event.id, record.keyString ?? "")) }
            }
            #expect(Set(occurrences.keys) == Set(committed.map(\.id)), "published set differs from committed rows")
            #expect(occurrences.values.filter { $0 == 2 }.count == batchSize, "the killed batch is republished once, with the same ids")
            #expect(occurrences.values.allSatisfy { $0 <= 2 })
            for key in Set(committed.map(\.key)) {
                let expected = committed.filter { $0.key == key }.map(\.id)
                let actual = firstOccurrences.filter { $0.key == key }.map(\.id)
                #expect(actual == expected, "order differs for \(key)")
            }
        }
    }
}
