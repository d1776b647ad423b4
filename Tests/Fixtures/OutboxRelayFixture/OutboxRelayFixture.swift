import Foundation
import IntelliCoreKafka
import IntelliCorePostgres
import Logging

/// An `OutboxRelay` in a process of its own, so that an integration test can kill it with SIGKILL
/// at a moment it can prove (the broker has acknowledged a batch whose rows are not marked yet).
///
/// Environment: `KAFKA_BOOTSTRAP`, `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_USER`,
/// `POSTGRES_PASSWORD`, `POSTGRES_DATABASE`, `OUTBOX_SCHEMA`, `OUTBOX_BATCH_SIZE`.
@main
struct OutboxRelayFixture {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw FixtureError(description: "\(name) is required") }
            return value
        }
        var logger = Logger(label: "outbox-relay-fixture")
        logger.logLevel = .info
        let postgres = PostgresSettings(
            host: environment["POSTGRES_HOST"] ?? "127.0.0.1", port: Int(try required("POSTGRES_PORT")) ?? 5432,
            username: try required("POSTGRES_USER"), password: environment["POSTGRES_PASSWORD"], database: try required("POSTGRES_DATABASE"))
        let client = postgres.makeClient(logger: logger)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: try required("KAFKA_BOOTSTRAP")), logger: logger)
        let relay = OutboxRelay(client: client, outbox: Outbox(schema: try SchemaName(try required("OUTBOX_SCHEMA"))), producer: producer,
                                settings: .init(batchSize: Int(environment["OUTBOX_BATCH_SIZE"] ?? "") ?? 50), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { try await relay.run() }
            try await group.next()
            group.cancelAll()
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}
