import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
@testable import IntelliCoreServiceKit
import Logging
import PostgresNIO
import Testing

/// The kit's PostgreSQL work queue: priority, per-tenant limits, leases that expire so a dead
/// worker's job is taken over (and its late commit refused), retries and final failure.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct WorkQueueTests {
    static let effects = Migration(version: 100, name: "effects", sql: "CREATE TABLE {schema}.effects (job text NOT NULL)")

    static func enqueue(_ queue: WorkQueue, _ client: PostgresClient, _ logger: Logger, id: String, tenant: String?, priority: Int,
                        maxAttempts: Int = 3) async throws {
        _ = try await client.withTransaction(logger: logger) { connection in
            try await queue.enqueue(id: id, tenantId: tenant, priority: priority, payload: Array(id.utf8), maxAttempts: maxAttempts,
                                    on: connection, logger: logger)
        }
    }

    static func effects(_ client: PostgresClient, _ schema: SchemaName, _ logger: Logger) async throws -> [String] {
        var jobs: [String] = []
        for try await job in try await client.query("SELECT job FROM \(unescaped: schema.qualified("effects")) ORDER BY job", logger: logger)
            .decode(String.self) { jobs.append(job) }
        return jobs
    }

    @Test func claimsFollowPriorityAndThePerTenantLimit() async throws {
        let env = try IntegrationEnvironment.load()
        try await env.withSchema("work", migrations: Migration.platform + [Self.effects]) { client, schema in
            let queue = WorkQueue(schema: schema, name: "training", perTenantLimit: 1)
            try await Self.enqueue(queue, client, env.logger, id: "a", tenant: "t1", priority: 1)
            try await Self.enqueue(queue, client, env.logger, id: "b", tenant: "t1", priority: 5)
            try await Self.enqueue(queue, client, env.logger, id: "c", tenant: "t2", priority: 3)
            let other = WorkQueue(schema: schema, name: "other")
            try await Self.enqueue(other, client, env.logger, id: "x", tenant: nil, priority: 99)
            let first = try await queue.claim(owner: "w1", lease: .seconds(30), client: client, logger: env.logger)
            let second = try await queue.claim(owner: "w2", lease: .seconds(30), client: client, logger: env.logger)
            let third = try await queue.claim(owner: "w3", lease: .seconds(30), client: client, logger: env.logger)
            #expect(first?.id == "b" && first?.attempt == 1 && first?.payload == Array("b".utf8))
            #expect(second?.id == "c")
            #expect(third == nil, "t1 already runs one job; x belongs to another queue")
            // Once b is done, t1's next job may run.
            let b = try #require(first)
            try await client.withTransaction(logger: env.logger) { try await queue.complete(b, owner: "w1", on: $0, logger: env.logger) }
            #expect(try await queue.claim(owner: "w3", lease: .seconds(30), client: client, logger: env.logger)?.id == "a")
            // Cancelling a running job takes its lease away.
            let c = try #require(second)
            #expect(try await client.withTransaction(logger: env.logger) { try await queue.cancel(id: "c", on: $0, logger: env.logger) })
            let refused = QueueWorker.Completion(item: c, owner: "w2", queue: queue, client: client, publisher: env.publisher(schema),
                                                 logger: env.logger, committed: .init())
            await #expect(throws: WorkLeaseLost.self) { try await refused.commit { _ in } }
            #expect(try await queue.status(id: "c", client: client, logger: env.logger)?.state == "cancelled")
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheLateCommitIsRefused() async throws {
        let env = try IntegrationEnvironment.load()
        try await env.withSchema("work", migrations: Migration.platform + [Self.effects]) { client, schema in
            let queue = WorkQueue(schema: schema, name: "training")
            try await Self.enqueue(queue, client, env.logger, id: "job", tenant: "t1", priority: 0)
            let lease = Duration.seconds(2)
            let claimedAt = ContinuousClock.now
            let held = try #require(try await queue.claim(owner: "dead", lease: lease, client: client, logger: env.logger))
            var takenOver = try await queue.claim(owner: "alive", lease: .seconds(30), client: client, logger: env.logger)
            if ContinuousClock.now - claimedAt < lease {
                #expect(takenOver == nil, "the lease still holds")
            } else {
                print("WorkQueueTests: the second claim came \(ContinuousClock.now - claimedAt) after the first, past the \(lease) lease: whether a live lease holds was not checked this run")
            }
            #expect(try await eventually(timeout: .seconds(20)) {
                if takenOver == nil { takenOver = try await queue.claim(owner: "alive", lease: .seconds(30), client: client, logger: env.logger) }
                return takenOver != nil
            })
            #expect(takenOver?.id == "job" && takenOver?.attempt == 2)
            // The first worker wakes up and tries to finish: refused, its effects rolled back.
            let late = QueueWorker.Completion(item: held, owner: "dead", queue: queue, client: client, publisher: env.publisher(schema),
                                              logger: env.logger, committed: .init())
            await #expect(throws: WorkLeaseLost.self) {
                try await late.commit { transaction in
                    try await transaction.connection.query("INSERT INTO \(unescaped: schema.qualified("effects")) VALUES ('late')",
                                                           logger: env.logger)
                }
            }
            #expect(try await Self.effects(client, schema, env.logger).isEmpty)
        }
    }

    @Test func theWorkerRetriesCommitsOnceAndGivesUpAfterItsAttempts() async throws {
        let env = try IntegrationEnvironment.load()
        try await env.withSchema("work", migrations: Migration.platform + [Self.effects]) { client, schema in
            let queue = WorkQueue(schema: schema, name: "training")
            try await Self.enqueue(queue, client, env.logger, id: "flaky", tenant: "t1", priority: 0)
            try await Self.enqueue(queue, client, env.logger, id: "broken", tenant: "t1", priority: 0, maxAttempts: 2)
            let runs = Shared<[String: Int]>([:])
            let worker = QueueWorker(
                queue: queue, client: client,
                publisher: env.publisher(schema),
                settings: .init(lease: .seconds(5), pollInterval: .milliseconds(50), retryDelay: .milliseconds(50)),
                logger: env.logger
            ) { item, completion in
                let attempt = runs.update { runs in runs[item.id, default: 0] += 1; return runs[item.id]! }
                if item.id == "broken" || attempt == 1 { throw SetupError("attempt \(attempt) of \(item.id) failed") }
                try await completion.commit { transaction in
                    try await transaction.connection.query("INSERT INTO \(unescaped: schema.qualified("effects")) VALUES (\(item.id))",
                                                           logger: env.logger)
                    try await transaction.publish(ModelRetired(modelName: item.id, version: 1), key: item.id, tenantId: item.tenantId)
                }
            }
            let task = Task { try await worker.run() }
            // Four attempts and their transactions: seconds alone, over 30 s once under a full run's load.
            #expect(try await eventually(timeout: .seconds(90)) {
                let flaky = try await queue.status(id: "flaky", client: client, logger: env.logger)?.state
                let broken = try await queue.status(id: "broken", client: client, logger: env.logger)?.state
                return flaky == "done" && broken == "failed"
            })
            task.cancel()
            _ = try? await task.value
            #expect(try await Self.effects(client, schema, env.logger) == ["flaky"])
            let broken = try await queue.status(id: "broken", client: client, logger: env.logger)
            #expect(broken?.attempts == 2 && broken?.lastError?.contains("attempt 2 of broken failed") == true)
            var published: [(String, String?, String)] = []
            for try await row in try await client.query("SELECT ce_type, ce_tenant_id, ce_source FROM \(unescaped: schema.qualified("outbox"))",
                                                        logger: env.logger).decode((String, String?, String).self) { published.append(row) }
            #expect(published.count == 1 && published.first?.0 == ModelRetired.eventType && published.first?.1 == "t1"
                    && published.first?.2 == "/it")
        }
    }
}
