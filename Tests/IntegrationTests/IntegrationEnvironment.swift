import Foundation
#if canImport(Glibc)
import Glibc
#endif
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import IntelliCoreServiceKit
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The real broker, PostgreSQL and Redis that `./intellicore test` starts, read from the
/// environment. Missing variables fail the test with a clear message instead of skipping it.
struct IntegrationEnvironment {
    let kafkaBootstrap: String
    let postgres: PostgresSettings
    let redisHost: String
    let redisPort: Int
    let binaries: String?
    let logger: Logger

    static func load() throws -> IntegrationEnvironment {
        let env = ProcessInfo.processInfo.environment
        guard let kafka = env["KAFKA_BOOTSTRAP"], let pgPort = env["POSTGRES_PORT"].flatMap(Int.init),
              let redisPort = env["REDIS_PORT"].flatMap(Int.init) else {
            throw SetupError("integration tests need KAFKA_BOOTSTRAP, POSTGRES_* and REDIS_*: run them with ./intellicore test")
        }
        var logger = Logger(label: "integration")
        logger.logLevel = .warning
        return IntegrationEnvironment(
            kafkaBootstrap: kafka,
            postgres: PostgresSettings(host: env["POSTGRES_HOST"] ?? "127.0.0.1", port: pgPort,
                                       username: env["POSTGRES_USER"] ?? "intellicore", password: env["POSTGRES_PASSWORD"] ?? "intellicore",
                                       database: env["POSTGRES_DATABASE"] ?? "intellicore"),
            redisHost: env["REDIS_HOST"] ?? "127.0.0.1", redisPort: redisPort, binaries: env["INTELLICORE_BIN"], logger: logger)
    }

    /// A name no other test or run uses.
    static func unique(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))_\(Int(Date().timeIntervalSince1970) % 100_000)"
    }

    func admin() throws -> KafkaAdmin { try KafkaAdmin(bootstrapServers: kafkaBootstrap, logger: logger) }

    func producer() throws -> KafkaProducer {
        try KafkaProducer(configuration: .init(bootstrapServers: kafkaBootstrap), logger: logger)
    }

    func consumer(group: String?) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: .init(bootstrapServers: kafkaBootstrap, groupId: group), logger: logger)
    }

    /// A fresh topic with `partitions` partitions.
    func topic(_ prefix: String, partitions: Int) async throws -> String {
        let name = Self.unique("it.\(prefix)")
        try await admin().createTopics([KafkaTopicSpec(name: name, partitions: partitions)])
        return name
    }

    /// Stamps events a test publishes through `schema`'s outbox with `ce_source` `/it`.
    func publisher(_ schema: SchemaName) -> EventPublisher {
        EventPublisher(outbox: Outbox(schema: schema), source: "/it", topics: TopicNames())
    }

    /// Runs `body` with a running PostgreSQL client and a fresh schema, dropped afterwards.
    func withSchema<T: Sendable>(_ prefix: String, migrations: [Migration] = Migration.platform,
                                 _ body: @Sendable (PostgresClient, SchemaName) async throws -> T) async throws -> T {
        let client = postgres.makeClient(logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            let schema = try SchemaName(Self.unique(prefix))
            try await SchemaMigrator(schema: schema, migrations: migrations).migrate(client, logger: logger)
            do {
                let result = try await body(client, schema)
                try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Reads everything in `topic` from the beginning until `count` records or `timeout`.
    /// Every record on the topic now: read from the start up to each partition's end offset as
    /// the broker reports it, however slowly a loaded broker delivers (up to `timeout`).
    func readToEnd(_ topic: String, partitions: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
        let consumer = try consumer(group: nil)
        let all = (0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0), offset: KafkaOffset.beginning) }
        var remaining = Dictionary(try await consumer.endOffsets(all).map { ($0.partition, $0.offset) }, uniquingKeysWith: max)
            .filter { $0.value > 0 }
        try consumer.assign(all)
        var messages: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while !remaining.isEmpty && ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(200)) {
                messages.append(message)
                if let end = remaining[message.partition], message.offset + 1 >= end { remaining[message.partition] = nil }
            }
        }
        await consumer.close()
        guard remaining.isEmpty else { throw SetupError("\(topic): partitions \(remaining.keys.sorted()) not read to their end in \(timeout)") }
        return messages
    }

    /// The topic read to its end again and again until `done` holds for what is there (records
    /// published through an outbox arrive a little after the HTTP answer that caused them), or
    /// `timeout`; returns the last read either way, so the caller's expectation says what was missing.
    func readUntil(_ topic: String, partitions: Int, timeout: Duration = .seconds(60),
                   _ done: ([KafkaConsumerMessage]) throws -> Bool) async throws -> [KafkaConsumerMessage] {
        var messages: [KafkaConsumerMessage] = []
        _ = try await eventually(timeout: timeout, every: .milliseconds(250)) {
            messages = try await readToEnd(topic, partitions: partitions, timeout: timeout)
            return try done(messages)
        }
        return messages
    }

    func readAll(_ topic: String, partitions: Int, count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaConsumerMessage] {
        let consumer = try consumer(group: nil)
        try consumer.assign((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0), offset: KafkaOffset.beginning) })
        var messages: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count && ContinuousClock.now < deadline {
            messages += try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(200))
        }
        await consumer.close()
        return messages
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes. The default is generous because it only
/// matters when a check fails: in a CI run of every suite at once on two cores, an outbox relay
/// needed more than 30 s for what takes 0.1 s alone.
func eventually(timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(100),
                _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// A TCP port on 127.0.0.1 that nothing listens on, from the kernel (bind to port 0). Random
/// picks in the ephemeral range collided now and then with client connections' local ports.
/// Never the same port twice in one test run: suites run side by side, and a port handed to one
/// service before it bound it was once handed to another suite's service too (a test then talked
/// to the wrong service).
func freePort() throws -> Int {
    for _ in 0..<100 {
        let port = try kernelPort()
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw SetupError("the kernel kept offering ports this run already handed out")
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func kernelPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw SetupError("socket() failed: errno \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
        }
    }
    guard bound else { throw SetupError("binding an ephemeral port failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A value shared between test tasks.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
}
