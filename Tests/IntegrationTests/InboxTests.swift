import IntelliCorePostgres
import PostgresNIO
import Testing

@Suite(.serialized, .timeLimit(.minutes(4)))
struct InboxTests {
    @Test func redeliveredEventIsANoOp() async throws {
        let env = try IntegrationEnvironment.load()
        try await env.withSchema("inbox") { client, schema in
            try await client.query("CREATE TABLE \(unescaped: schema.qualified("effects")) (n int)", logger: env.logger)
            let inbox = Inbox(schema: schema, consumer: "billing.usage")
            let effect = PostgresQuery(unsafeSQL: "INSERT INTO \(schema.qualified("effects")) VALUES (1)")
            let first = try await inbox.process(eventId: "evt-1", client: client, logger: env.logger) {
                try await $0.query(effect, logger: env.logger)
            }
            let again = try await inbox.process(eventId: "evt-1", client: client, logger: env.logger) {
                try await $0.query(effect, logger: env.logger)
            }
            // A failing handler leaves no inbox row: the event is processed when redelivered.
            await #expect(throws: SetupError.self) {
                try await inbox.process(eventId: "evt-2", client: client, logger: env.logger) { connection in
                    try await connection.query(effect, logger: env.logger)
                    throw SetupError("handler failed")
                }
            }
            let retried = try await inbox.process(eventId: "evt-2", client: client, logger: env.logger) {
                try await $0.query(effect, logger: env.logger)
            }
            let otherConsumer = try await Inbox(schema: schema, consumer: "monitoring.usage")
                .process(eventId: "evt-1", client: client, logger: env.logger) { _ in }
            #expect(first && !again && retried && otherConsumer)
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(schema.qualified("effects"))"), logger: env.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 2) }
        }
    }
}
