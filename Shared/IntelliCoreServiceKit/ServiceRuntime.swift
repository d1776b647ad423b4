import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import IntelliCoreRedis
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Starts a service executable: reads its configuration, bootstraps JSON logging and
/// Prometheus metrics, connects to Kafka, PostgreSQL and Redis, migrates its schema, serves
/// health and metrics over HTTP and runs everything in one `ServiceGroup` that shuts down
/// gracefully on SIGTERM or SIGINT.
public enum ServiceRuntime {
    /// What a service adds: it builds its components from the context, registers its HTTP routes
    /// on the router and returns the long-running ones, which start once the schema is migrated.
    public struct Extensions: Sendable {
        public var configure: @Sendable (ServiceContext, Router<BasicRequestContext>) throws -> [any Service]

        public init(configure: @escaping @Sendable (ServiceContext, Router<BasicRequestContext>) throws -> [any Service] = { _, _ in [] }) {
            self.configure = configure
        }
    }

    /// Runs the service until it is told to stop; exits the process with a non-zero status on
    /// a configuration or start-up error, with the reason on standard error and in the log.
    public static func main(_ descriptor: ServiceDescriptor, extensions: Extensions = Extensions()) async {
        // A parent that spawned us from a thread with signals blocked (Dispatch workers block
        // them all) would leave SIGTERM blocked here too, and graceful shutdown would never start.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGTERM)
        sigaddset(&shutdownSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(service: descriptor.name, defaultHTTPPort: descriptor.defaultHTTPPort,
                                                     environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("\(descriptor.name): \(error)\n".utf8))
            exit(78)
        }
        LoggingSystem.bootstrap { label in
            JSONLogHandler(label: label, service: descriptor.name, level: configuration.logLevel)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "intellicore.\(descriptor.name)")
        do {
            let application = try makeApplication(descriptor, configuration: configuration, registry: registry,
                                                  extensions: extensions, logger: logger)
            try await application.runService()
            logger.info("stopped cleanly")
        } catch {
            logger.critical("service failed", metadata: ["error": "\(String(reflecting: error))"])
            FileHandle.standardError.write(Data("\(descriptor.name): \(error)\n".utf8))
            exit(1)
        }
    }

    /// Builds the HTTP application with every component attached as a service, in start order;
    /// the group stops them in reverse (HTTP first, the database client last).
    public static func makeApplication(_ descriptor: ServiceDescriptor, configuration: ServiceConfiguration,
                                       registry: PrometheusCollectorRegistry, extensions: Extensions,
                                       logger: Logger) throws -> some ApplicationProtocol {
        try KafkaClientVersion.check()
        logger.info("starting", metadata: [
            "librdkafka.version": "\(KafkaClientVersion.linked)", "kafka.bootstrap": "\(configuration.kafkaBootstrap)",
            "db.address": "\(configuration.postgres.host):\(configuration.postgres.port)",
            "redis.address": "\(configuration.redis.host):\(configuration.redis.port)",
        ])
        let schema = try SchemaName(descriptor.schema)
        let postgres = configuration.postgres.makeClient(logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(
            bootstrapServers: configuration.kafkaBootstrap, clientId: descriptor.name,
            lingerMilliseconds: configuration.kafkaLingerMilliseconds), logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: configuration.kafkaBootstrap, logger: logger)
        let health = HealthMonitor(required: ["kafka", "postgres"])
        let context = ServiceContext(
            descriptor: descriptor, configuration: configuration, logger: logger, postgres: postgres, schema: schema,
            outbox: Outbox(schema: schema), producer: producer,
            deadLetters: DeadLetterPublisher(producer: producer, topic: configuration.topics[.deadLetter], service: descriptor.name),
            cache: RedisCache(configuration: configuration.redis, name: descriptor.name, logger: logger),
            health: health
        )
        let migrator = try SchemaMigrator(schema: schema, migrations: descriptor.allMigrations)
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        HealthRoutes.add(to: router, service: descriptor.name, health: health, registry: registry)
        let gate = StartupGate()
        let dependent: [any Service] = [OutboxRelay(client: postgres, outbox: context.outbox, producer: producer, logger: logger)]
            + (try extensions.configure(context, router))
        let services: [any Service] = [
            postgres,
            ProducerLifecycle(producer: producer),
            DependencyMonitor(context: context, admin: admin, migrator: migrator, schemaReady: gate),
        ] + dependent.map { GatedService(gate: gate, inner: $0) }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort),
                                 serverName: "intellicore-\(descriptor.name)"),
            services: services,
            logger: logger
        )
    }
}

/// Flushes the producer when the service stops, after every component that produces has stopped.
struct ProducerLifecycle: Service {
    let producer: KafkaProducer

    func run() async throws {
        try? await gracefulShutdown()
        await producer.shutdown()
    }
}
