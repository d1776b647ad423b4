import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCorePostgres
import IntelliCoreRedis
import Logging
import PostgresNIO

/// The connected clients a service builds its own components from.
public struct ServiceContext: Sendable {
    public let descriptor: ServiceDescriptor
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let postgres: PostgresClient
    public let schema: SchemaName
    public let producer: KafkaProducer
    public let deadLetters: DeadLetterPublisher
    public let cache: RedisCache
    public let health: HealthMonitor
    /// Stamps and enqueues this service's events in its outbox (`ce_source` is the service).
    public let publisher: EventPublisher
    /// The API keys this service knows, by hash, for `APIKeyAuthenticator`.
    public let apiKeys: APIKeyDirectory

    /// `<topic prefix>intellicore.<service>.<purpose>`: deployments that share a cluster under
    /// different prefixes never share a group.
    public func groupId(purpose: String) -> String {
        "\(configuration.topics.prefix)intellicore.\(descriptor.name).\(purpose)"
    }

    /// The channel that tells every replica of this service that `what`, kept in memory, changed
    /// in its tables (see `ChangeChannel`).
    public func changeChannel(_ what: String) -> ChangeChannel {
        ChangeChannel(schema: schema.rawValue, what: what)
    }

    /// Changes of the `api_keys` table: every replica's `apiKeys` reloads on them.
    public var apiKeyChanges: ChangeChannel { changeChannel("api_keys") }

    /// Reloads in-memory state from this service's tables whenever `channel` is notified.
    public func changeListener(_ channel: ChangeChannel, reload: @escaping @Sendable () async throws -> Void) -> ChangeListener {
        ChangeListener(channel, client: postgres, logger: logger, reload: reload)
    }

    /// A group consumer for this service.
    ///
    /// `latency` picks how long the broker may hold an empty fetch: `.hotPath` (10 ms) for request
    /// streams, `.controlPlane` (200 ms) for rare events such as deployments and quotas, so that idle
    /// consumers do not keep the broker busy answering empty fetches.
    public func makeConsumer(purpose: String, latency: ConsumerLatency = .hotPath) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: consumerConfiguration(purpose: purpose, latency: latency), logger: logger)
    }

    func consumerConfiguration(purpose: String, latency: ConsumerLatency) -> KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(
            bootstrapServers: configuration.kafkaBootstrap, clientId: descriptor.name, groupId: groupId(purpose: purpose),
            fetchWaitMilliseconds: latency.fetchWaitMilliseconds, properties: latency.properties.merging(configuration.kafkaProperties) { $1 })
    }

    /// The inbox of this service's schema for one consumer.
    public func inbox(consumer: String) -> Inbox {
        Inbox(schema: schema, consumer: consumer)
    }

    /// A consumer of `topics` whose events `handlers` handle, each in a transaction with its
    /// inbox row (see `EventConsumerService.Transactions` for the unit of work).
    public func eventConsumer(purpose: String, topics: [Topic], handlers: EventHandlers,
                              transactions: EventConsumerService.Transactions = .perEvent,
                              latency: ConsumerLatency = .controlPlane, batchSize: Int = 500,
                              deduplication: EventConsumerService.Deduplication = .inbox) throws -> EventConsumerService {
        try EventConsumerService(
            name: "\(descriptor.name).\(purpose)", consumer: consumerConfiguration(purpose: purpose, latency: latency),
            topics: topics.map { configuration.topics[$0] }, handlers: handlers, transactions: transactions,
            client: postgres, schema: schema, publisher: publisher, deadLetters: deadLetters, batchSize: batchSize,
            deduplication: deduplication, logger: logger)
    }

    /// Runs `body` in one transaction of this service's database: its writes and the events it
    /// publishes (`transaction.publish`) commit together; `afterCommit` actions run after.
    public func transaction<Result: Sendable>(_ body: (EventTransaction) async throws -> Result) async throws -> Result {
        try await postgres.withEventTransaction(publisher: publisher, logger: logger, body)
    }
}
