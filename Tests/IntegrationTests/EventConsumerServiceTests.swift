import Foundation
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCorePostgres
import IntelliCoreServiceKit
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The kit's event consumer against the real broker and PostgreSQL, in each of its transaction modes.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EventConsumerServiceTests {
    /// A consumer of `topic` in a fresh group, its effects in `schema`.
    static func consumer(_ env: IntegrationEnvironment, client: PostgresClient, schema: SchemaName, topic: String,
                         deadLetterTopic: String, producer: KafkaProducer, transactions: EventConsumerService.Transactions,
                         group: String = IntegrationEnvironment.unique("it-consumer"), handlers: EventHandlers) throws -> EventConsumerService {
        try EventConsumerService(
            name: "it.consumer", consumer: .init(bootstrapServers: env.kafkaBootstrap, groupId: group), topics: [topic],
            handlers: handlers, transactions: transactions, client: client, schema: schema, publisher: env.publisher(schema),
            deadLetters: DeadLetterPublisher(producer: producer, topic: deadLetterTopic, service: "it"), logger: env.logger)
    }

    static func tenant(_ id: String, topic: String, eventId: String = UUID().uuidString) throws -> KafkaProducerMessage {
        KafkaProducerMessage(event: try CloudEvent(TenantCreated(tenantId: id, name: id, plan: "free"), source: "/it", id: eventId),
                             topic: topic, key: id)
    }

    static func count(_ client: PostgresClient, _ schema: SchemaName, logger: Logger) async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM \(unescaped: schema.qualified("effects"))", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return -1
    }

    static let effects = Migration(version: 100, name: "effects", sql: "CREATE TABLE {schema}.effects (tenant text NOT NULL, event_id text NOT NULL)")

    /// Records each handled tenant as a row, in the handler's transaction.
    static func recordingHandlers(_ schema: SchemaName, handled: Shared<[String]>) -> EventHandlers {
        var handlers = EventHandlers()
        handlers.on(TenantCreated.self) { event, tenant, transaction in
            if tenant.tenantId == "rejected" { throw EventRejection("tenant name is reserved") }
            try await transaction.connection.query("""
                INSERT INTO \(unescaped: schema.qualified("effects")) (tenant, event_id) VALUES (\(tenant.tenantId), \(event.id))
                """, logger: transaction.logger)
            transaction.afterCommit { handled.update { $0.append(tenant.tenantId) } }
        }
        return handlers
    }

    /// Runs a consumer of `topic` with the recording handlers until they handled `handledCount`
    /// events, reads `deadCount` records of the dead letter topic and stops it.
    static func consumeRecording(_ env: IntegrationEnvironment, client: PostgresClient, schema: SchemaName, topic: String,
                                 deadLetterTopic: String, producer: KafkaProducer, transactions: EventConsumerService.Transactions,
                                 until handledCount: Int, deadCount: Int) async throws -> (handled: [String], dead: [KafkaConsumerMessage]) {
        let handled = Shared<[String]>([])
        let service = try consumer(env, client: client, schema: schema, topic: topic, deadLetterTopic: deadLetterTopic,
                                   producer: producer, transactions: transactions, handlers: recordingHandlers(schema, handled: handled))
        let task = Task { try await service.run() }
        #expect(try await eventually(timeout: .seconds(60)) { handled.value.count == handledCount })
        let dead = try await env.readAll(deadLetterTopic, partitions: 1, count: deadCount)
        task.cancel()
        _ = try? await task.value
        return (handled.value, dead)
    }

    /// Poison records go to the dead letter topic with their reason and origin; the consumer
    /// keeps going, skips unknown types and processes the good records around them — whether
    /// each event or the whole batch is one transaction (a rejection then redoes the batch
    /// without the rejected record).
    @Test(arguments: [EventConsumerService.Transactions.perEvent, .perBatch])
    func poisonMessagesAreDeadLetteredAndTheConsumerKeepsGoing(transactions: EventConsumerService.Transactions) async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("poison", partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        var unknown = try CloudEvent(TenantCreated(tenantId: "x", name: "x", plan: "x"), source: "/it")
        unknown.type = "com.example.unknown.v1"
        var badPayload = try CloudEvent(TenantCreated(tenantId: "y", name: "y", plan: "y"), source: "/it")
        badPayload.data = Array(#"{"tenant_id": 5}"#.utf8)
        let records = [
            try Self.tenant("good-1", topic: topic),
            KafkaProducerMessage(topic: topic, key: "garbage", value: Array("not an event".utf8)),
            KafkaProducerMessage(topic: topic, key: nil, value: nil),
            KafkaProducerMessage(event: unknown, topic: topic, key: "x"),
            KafkaProducerMessage(event: badPayload, topic: topic, key: "y"),
            try Self.tenant("rejected", topic: topic),
            try Self.tenant("good-2", topic: topic),
        ]
        for result in try await producer.send(records) { _ = try result.get() }

        try await env.withSchema("consumer", migrations: Migration.platform + [Self.effects]) { client, schema in
            let (handled, dead) = try await Self.consumeRecording(env, client: client, schema: schema, topic: topic,
                                                                  deadLetterTopic: deadLetterTopic, producer: producer,
                                                                  transactions: transactions, until: 2, deadCount: 4)
            #expect(handled == ["good-1", "good-2"])
            #expect(try await Self.count(client, schema, logger: env.logger) == 2, "the rejected event's batch must not leave effects behind")
            try #require(dead.count == 4)
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
        }
        await producer.shutdown()
    }

    /// An event whose data PostgreSQL refuses (here a NUL byte in a tenant id: SQLSTATE 22021)
    /// would fail its transaction on every retry. The consumer finds it — the batch is redone one
    /// event at a time — dead-letters it with the database's reason and handles the rest, in
    /// every transaction mode.
    @Test(arguments: [EventConsumerService.Transactions.perEvent, .perBatch, .pipelined])
    func dataTheDatabaseRefusesIsDeadLetteredNotRetriedForever(transactions: EventConsumerService.Transactions) async throws {
        let env = try IntegrationEnvironment.load()
        let (topic, deadLetterTopic, producer) = try await Self.sendRefusedTenants(env, topic: "refused")

        try await env.withSchema("refused", migrations: Migration.platform + [Self.effects]) { client, schema in
            let (handled, dead) = try await Self.consumeRecording(env, client: client, schema: schema, topic: topic,
                                                                  deadLetterTopic: deadLetterTopic, producer: producer,
                                                                  transactions: transactions, until: 4, deadCount: 1)
            #expect(handled == ["good-1", "good-2", "good-3", "good-4"])
            #expect(try await Self.count(client, schema, logger: env.logger) == 4)
            try Self.expectRefusedTenantDeadLettered(dead)
        }
        await producer.shutdown()
    }

    /// Four good `TenantCreated` records and, third, one whose tenant id holds a NUL byte
    /// (PostgreSQL refuses it: SQLSTATE 22021), on a new topic; also a new dead-letter topic.
    static func sendRefusedTenants(_ env: IntegrationEnvironment, topic name: String) async throws
        -> (topic: String, deadLetterTopic: String, producer: KafkaProducer) {
        let topic = try await env.topic(name, partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        let records = try ["good-1", "good-2", "bad\u{0}tenant", "good-3", "good-4"].map { try Self.tenant($0, topic: topic) }
        for result in try await producer.send(records) { _ = try result.get() }
        return (topic, deadLetterTopic, producer)
    }

    /// The one dead letter: the third record, with PostgreSQL's reason.
    static func expectRefusedTenantDeadLettered(_ dead: [KafkaConsumerMessage]) throws {
        try #require(dead.count == 1)
        let reason = dead[0].headers.string(named: DeadLetterHeader.error) ?? ""
        #expect(reason.contains("PostgreSQL refused intellicore.tenant.created.v1: SQLSTATE 22021"), "\(reason)")
        #expect(dead[0].headers.string(named: DeadLetterHeader.originalOffset) == "2")
    }

    /// The same in a batch handler's first stage (billing's ledger insert): one statement for
    /// the whole batch fails, so the batch is redone one event at a time, the refused event is
    /// dead-lettered and the others and the offsets commit.
    @Test(arguments: [EventConsumerService.Transactions.perBatchWithOffsets, .pipelined])
    func dataRefusedInABatchStageIsFoundOneEventAtATime(transactions: EventConsumerService.Transactions) async throws {
        let env = try IntegrationEnvironment.load()
        let (topic, deadLetterTopic, producer) = try await Self.sendRefusedTenants(env, topic: "refused-stage")
        let group = IntegrationEnvironment.unique("it-refused")

        try await env.withSchema("refusedstage", migrations: Migration.platform + [Self.effects]) { client, schema in
            let effects = schema.qualified("effects")
            var handlers = EventHandlers()
            handlers.onBatch(TenantCreated.self, read: { event in
                (id: event.id, tenant: try event.decode(as: TenantCreated.self).tenantId)
            }, stage: { items, transaction in
                try await transaction.connection.query("""
                    INSERT INTO \(unescaped: effects) (tenant, event_id)
                    SELECT * FROM unnest(\(items.map(\.tenant))::text[], \(items.map(\.id))::text[])
                    """, logger: transaction.logger)
                return items.count
            }, complete: { _, _ in })
            let service = try EventConsumerService(
                name: "it.refused", consumer: .init(bootstrapServers: env.kafkaBootstrap, groupId: group), topics: [topic],
                handlers: handlers, transactions: transactions, client: client, schema: schema, publisher: env.publisher(schema),
                deadLetters: DeadLetterPublisher(producer: producer, topic: deadLetterTopic, service: "it"),
                deduplication: .handlers, logger: env.logger)
            let task = Task { try await service.run() }
            let stored = { try await ConsumerOffsetStore(schema: schema, group: group)
                .load([(topic: topic, partition: 0)], client: client, logger: env.logger).first?.nextOffset }
            #expect(try await eventually(timeout: .seconds(60)) { try await stored() == 5 })
            let dead = try await env.readAll(deadLetterTopic, partitions: 1, count: 1)
            task.cancel()
            _ = try? await task.value

            #expect(try await Self.count(client, schema, logger: env.logger) == 4)
            try Self.expectRefusedTenantDeadLettered(dead)
        }
        await producer.shutdown()
    }

    /// In batch mode the inbox rows of a batch go in one statement and only new events reach the
    /// handler: an event repeated inside a batch, and one redelivered later, take effect once.
    @Test func batchTransactionsHandleEachEventOnce() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("batch", partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        let ids = (0..<300).map { "evt-\($0)" }
        // Every event twice in the first send, the first hundred again afterwards, then a last
        // new event: once it is handled, everything before it was read.
        var records = try ids.flatMap { id in [try Self.tenant("t-\(id)", topic: topic, eventId: id), try Self.tenant("t-\(id)", topic: topic, eventId: id)] }
        records += try ids.prefix(100).map { try Self.tenant("t-\($0)", topic: topic, eventId: $0) }
        records.append(try Self.tenant("last", topic: topic, eventId: "evt-last"))
        for result in try await producer.send(records) { _ = try result.get() }

        try await env.withSchema("batch", migrations: Migration.platform + [Self.effects]) { client, schema in
            let handled = Shared<[String]>([])
            let service = try Self.consumer(env, client: client, schema: schema, topic: topic, deadLetterTopic: deadLetterTopic,
                                            producer: producer, transactions: .perBatch,
                                            handlers: Self.recordingHandlers(schema, handled: handled))
            let task = Task { try await service.run() }
            #expect(try await eventually(timeout: .seconds(60)) { handled.value.contains("last") })
            task.cancel()
            _ = try? await task.value
            #expect(try await Self.count(client, schema, logger: env.logger) == ids.count + 1)
            #expect(Set(handled.value).count == ids.count + 1 && handled.value.count == ids.count + 1, "each event handled once")
        }
        await producer.shutdown()
    }

    /// With offsets in the database, a consumer starts every assigned partition at the offset
    /// stored with its effects, whatever the group committed in Kafka: here the stored offset is
    /// rewound by five, and exactly those five records are read (and handled) again.
    @Test func offsetsStoredInTheDatabaseDecideWhereAnAssignmentStarts() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("offsets", partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        let records = try (0..<50).map { try Self.tenant("t-\($0)", topic: topic) }
        for result in try await producer.send(records) { _ = try result.get() }
        let group = IntegrationEnvironment.unique("it-offsets")

        try await env.withSchema("offsets", migrations: Migration.platform + [Self.effects]) { client, schema in
            let handled = Shared<[String]>([])
            func run(until condition: @escaping @Sendable () async throws -> Bool) async throws {
                let service = try Self.consumer(env, client: client, schema: schema, topic: topic, deadLetterTopic: deadLetterTopic,
                                                producer: producer, transactions: .perBatchWithOffsets, group: group,
                                                handlers: Self.recordingHandlers(schema, handled: handled))
                let task = Task { try await service.run() }
                #expect(try await eventually(timeout: .seconds(60), condition))
                task.cancel()
                _ = try? await task.value
            }
            func stored() async throws -> Int64? {
                try await ConsumerOffsetStore(schema: schema, group: group)
                    .load([(topic: topic, partition: 0)], client: client, logger: env.logger).first?.nextOffset
            }
            try await run { handled.value.count == 50 }
            #expect(try await stored() == 50)

            // Rewind the stored position by five and forget those five events' inbox rows and effects.
            let last = records.suffix(5).compactMap { $0.headers.string(named: CloudEventHeader.id) }
            try #require(last.count == 5)
            try await client.query("UPDATE \(unescaped: schema.qualified("consumer_offsets")) SET next_offset = 45", logger: env.logger)
            try await client.query("DELETE FROM \(unescaped: schema.qualified("inbox")) WHERE event_id = ANY(\(last))", logger: env.logger)
            try await client.query("DELETE FROM \(unescaped: schema.qualified("effects")) WHERE event_id = ANY(\(last))", logger: env.logger)

            try await run { handled.value.count == 55 }
            #expect(handled.value.suffix(5) == (45..<50).map { "t-\($0)" }, "the rewound records are read again, in order")
            #expect(try await Self.count(client, schema, logger: env.logger) == 50)
            #expect(try await stored() == 50)
        }
        await producer.shutdown()
    }

    static let ledger = Migration(version: 100, name: "ledger", sql: """
        CREATE TABLE {schema}.ledger (event_id text PRIMARY KEY, tenant text NOT NULL);
        CREATE TABLE {schema}.totals (name text PRIMARY KEY, events bigint NOT NULL);
        INSERT INTO {schema}.totals VALUES ('all', 0)
        """)

    /// `.pipelined` keeps two batches in flight: each batch's rows go in (first stage) beside
    /// the previous batch's transaction, and a shared total is updated (completion) once the
    /// previous batch committed. Through re-sent events (the same `ce_id` in the next batch, in
    /// flight at the same time), a poison record and completions that fail now and then (the
    /// failed batch and the one after it are redone), the end state is exact: every event once,
    /// the total equal to the rows, completions committed in batch order, offsets at the end.
    @Test func pipelinedBatchesCommitInOrderAndExactlyOnceThroughFailures() async throws {
        let env = try IntegrationEnvironment.load()
        let topic = try await env.topic("pipelined", partitions: 1)
        let deadLetterTopic = try await env.topic("deadletter", partitions: 1)
        let producer = try env.producer()
        let distinct = 3000
        var records: [KafkaProducerMessage] = []
        var resend: [(due: Int, record: KafkaProducerMessage)] = []
        for index in 0..<distinct {
            let id = UUID().uuidString
            records.append(try Self.tenant("t-\(index)", topic: topic, eventId: id))
            // Every 7th event is sent again 1–60 events later: often in the next batch.
            if index % 7 == 3 { resend.append((index + 1 + index % 60, try Self.tenant("t-\(index)", topic: topic, eventId: id))) }
            records += resend.filter { $0.due == index }.map(\.record)
            if index == 1500 { records.append(KafkaProducerMessage(topic: topic, key: "garbage", value: Array("not an event".utf8))) }
        }
        records += resend.filter { $0.due >= distinct }.map(\.record)
        for result in try await producer.send(records) { _ = try result.get() }
        let sent = Int64(records.count)
        let group = IntegrationEnvironment.unique("it-pipelined")

        try await env.withSchema("pipelined", migrations: Migration.platform + [Self.ledger]) { client, schema in
            let ledger = schema.qualified("ledger"), totals = schema.qualified("totals")
            let completions = Shared(0), failures = Shared(0)
            // The highest event index of each committed completion: re-sent events come after
            // their originals, so in batch order these never decrease.
            let committed = Shared<[Int]>([])
            var handlers = EventHandlers()
            handlers.onBatch(TenantCreated.self, read: { event in
                (id: event.id, tenant: try event.decode(as: TenantCreated.self).tenantId)
            }, stage: { items, transaction in
                let rows = try await transaction.connection.query("""
                    WITH new AS (
                        INSERT INTO \(unescaped: ledger) (event_id, tenant)
                        SELECT * FROM unnest(\(items.map(\.id))::text[], \(items.map(\.tenant))::text[])
                        ON CONFLICT (event_id) DO NOTHING RETURNING 1
                    ) SELECT count(*) FROM new
                    """, logger: transaction.logger)
                var new = 0
                for try await count in rows.decode(Int.self) { new = count }
                return (new: new, last: items.compactMap { Int($0.tenant.dropFirst(2)) }.max() ?? -1)
            }, complete: { staged, transaction in
                // A transient failure in every 9th completion, five times in all.
                let attempt = completions.update { $0 += 1; return $0 }
                if attempt % 9 == 0, failures.update({ failed in
                    guard failed < 5 else { return false }
                    failed += 1
                    return true
                }) { throw CancellationError() }
                try await transaction.connection.query("UPDATE \(unescaped: totals) SET events = events + \(staged.new)", logger: transaction.logger)
                transaction.afterCommit { committed.update { $0.append(staged.last) } }
            })
            let service = try EventConsumerService(
                name: "it.pipelined", consumer: .init(bootstrapServers: env.kafkaBootstrap, groupId: group), topics: [topic],
                handlers: handlers, transactions: .pipelined, client: client, schema: schema, publisher: env.publisher(schema),
                deadLetters: DeadLetterPublisher(producer: producer, topic: deadLetterTopic, service: "it"), batchSize: 50,
                deduplication: .handlers, logger: env.logger)
            let task = Task { try await service.run() }
            func stored() async throws -> Int64? {
                try await ConsumerOffsetStore(schema: schema, group: group)
                    .load([(topic: topic, partition: 0)], client: client, logger: env.logger).first?.nextOffset
            }
            let caughtUp = try await eventually(timeout: .seconds(90)) { try await stored() == sent }
            let offset = try await stored()
            #expect(caughtUp, "stored offset \(String(describing: offset)) of \(sent)")
            let dead = try await env.readAll(deadLetterTopic, partitions: 1, count: 1)
            task.cancel()
            _ = try? await task.value

            let rows = try await client.query("""
                SELECT (SELECT count(*) FROM \(unescaped: ledger)), (SELECT events FROM \(unescaped: totals))
                """, logger: env.logger)
            var counts = (-1, -1)
            for try await row in rows.decode((Int, Int).self) { counts = row }
            print("EventConsumerServiceTests: \(sent) records, ledger \(counts.0), total \(counts.1), "
                  + "\(committed.value.count) completions committed, \(failures.value) failed on purpose")
            #expect(counts.0 == distinct && counts.1 == distinct, "every event once in the ledger and in the total")
            #expect(failures.value == 5, "the redo path ran")
            #expect(committed.value == committed.value.sorted(), "completions committed in batch order")
            #expect(dead.count == 1 && dead.first?.headers.string(named: DeadLetterHeader.error)?.contains("undecodable event envelope") == true)
        }
        await producer.shutdown()
    }
}
