import IntelliCoreEvents
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
    public let outbox: Outbox
    public let producer: KafkaProducer
    public let deadLetters: DeadLetterPublisher
    public let cache: RedisCache
    public let health: HealthMonitor

    /// A group consumer for this service; the group id is `<topic prefix>intellicore.<service>.<purpose>`,
    /// so deployments that share a cluster under different prefixes never share a group.
    ///
    /// `latency` picks how long the broker may hold an empty fetch: `.hotPath` (10 ms) for request
    /// streams, `.controlPlane` (200 ms) for rare events such as deployments and quotas, so that idle
    /// consumers do not keep the broker busy answering empty fetches.
    public func makeConsumer(purpose: String, latency: ConsumerLatency = .hotPath) throws -> KafkaConsumer {
        try KafkaConsumer(configuration: KafkaConsumerConfiguration(
            bootstrapServers: configuration.kafkaBootstrap, clientId: descriptor.name,
            groupId: "\(configuration.topics.prefix)intellicore.\(descriptor.name).\(purpose)",
            fetchWaitMilliseconds: latency.fetchWaitMilliseconds, properties: latency.properties
        ), logger: logger)
    }

    /// The inbox of this service's schema for one consumer.
    public func inbox(consumer: String) -> Inbox {
        Inbox(schema: schema, consumer: consumer)
    }
}
