import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCorePostgres
import IntelliCoreRedis
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Where a service registers its HTTP routes: `router` for public ones, `api` for routes whose
/// caller must present an API key (the context's `caller` is then set; `RequireRole` or
/// `context.requireCaller(_:)` checks the role).
public struct ServiceRoutes {
    public let router: Router<APIRequestContext>
    public let api: RouterGroup<APIRequestContext>
}

/// Starts a service executable: reads its configuration and settings, bootstraps JSON logging
/// and Prometheus metrics, connects to Kafka, PostgreSQL and Redis, migrates its schema, serves
/// health, metrics and its API over HTTP and runs everything in one `ServiceGroup` that shuts
/// down gracefully on SIGTERM or SIGINT.
public enum ServiceRuntime {
    /// A service's build function: from the connected context and its settings it registers its
    /// routes and returns its long-running components, which start once the schema is migrated.
    public typealias Build<Settings: ServiceSettings> = @Sendable (ServiceContext, Settings, ServiceRoutes) throws -> [any Service]

    /// Runs the service until it is told to stop; exits the process with a non-zero status on
    /// a configuration (78) or start-up (1) error, with the reason on standard error and in the log.
    public static func main(_ descriptor: ServiceDescriptor, build: @escaping Build<NoServiceSettings> = { _, _, _ in [] }) async {
        await main(descriptor, settings: NoServiceSettings.self, build: build)
    }

    /// Like `main(_:build:)`, for a service with settings of its own, parsed at start like the
    /// kit's configuration.
    public static func main<Settings: ServiceSettings>(_ descriptor: ServiceDescriptor, settings: Settings.Type,
                                                       build: @escaping Build<Settings>) async {
        // A parent that spawned us from a thread with signals blocked (Dispatch workers block
        // them all) would leave SIGTERM blocked here too, and graceful shutdown would never start.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGTERM)
        sigaddset(&shutdownSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)
        let configuration: ServiceConfiguration
        let serviceSettings: Settings
        do {
            let environment = ProcessInfo.processInfo.environment
            configuration = try ServiceConfiguration(service: descriptor.name, defaultHTTPPort: descriptor.defaultHTTPPort,
                                                     environment: environment)
            serviceSettings = try Settings(environment: EnvironmentReader(environment))
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
            let application = try makeApplication(descriptor, configuration: configuration, registry: registry, logger: logger) {
                try build($0, serviceSettings, $1)
            }
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
                                       registry: PrometheusCollectorRegistry, logger: Logger,
                                       build: (ServiceContext, ServiceRoutes) throws -> [any Service]) throws -> some ApplicationProtocol {
        try KafkaClientVersion.check()
        logger.info("starting", metadata: [
            "librdkafka.version": "\(KafkaClientVersion.linked)", "kafka.bootstrap": "\(configuration.kafkaBootstrap)",
            "db.address": "\(configuration.postgres.host):\(configuration.postgres.port)",
            "redis.address": "\(configuration.redis.host):\(configuration.redis.port)",
        ])
        let schema = try SchemaName(configuration.schemaPrefix + descriptor.schema)
        let postgres = configuration.postgres.makeClient(logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(
            bootstrapServers: configuration.kafkaBootstrap, clientId: descriptor.name,
            lingerMilliseconds: configuration.kafkaLingerMilliseconds, properties: configuration.kafkaProperties), logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: configuration.kafkaBootstrap, logger: logger)
        let health = HealthMonitor(required: ["kafka", "postgres"])
        let outbox = Outbox(schema: schema)
        let context = ServiceContext(
            descriptor: descriptor, configuration: configuration, logger: logger, postgres: postgres, schema: schema,
            producer: producer,
            deadLetters: DeadLetterPublisher(producer: producer, topic: configuration.topics[.deadLetter], service: descriptor.name),
            cache: RedisCache(configuration: configuration.redis, name: descriptor.name, logger: logger),
            health: health,
            publisher: EventPublisher(outbox: outbox, source: descriptor.eventSource, topics: configuration.topics),
            apiKeys: APIKeyDirectory()
        )
        let migrator = try SchemaMigrator(schema: schema, migrations: descriptor.allMigrations)
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: APIErrorMiddleware())
        HealthRoutes.add(to: router, service: descriptor.name, health: health, registry: registry)
        let routes = ServiceRoutes(router: router, api: router.group().add(middleware: APIKeyAuthenticator(directory: context.apiKeys)))
        let keys = APIKeyStore(schema: schema, directory: context.apiKeys, changes: context.apiKeyChanges)
        var dependent: [any Service] = [
            TenantDirectoryService(keys: keys, context: context,
                                   consumer: try context.eventConsumer(purpose: "tenants", topics: [.tenants], handlers: keys.handlers)),
        ]
        if descriptor.usesOutbox {
            dependent.append(OutboxRelay(client: postgres, outbox: outbox, producer: producer, logger: logger))
        }
        dependent += try build(context, routes)
        let gate = StartupGate()
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

/// Loads the service's API keys from its own tables, then keeps them current from
/// `intellicore.tenants` (a revoked key stops working once its event is consumed, on every
/// replica: the one that consumed it notifies the others through PostgreSQL).
struct TenantDirectoryService: Service {
    let keys: APIKeyStore
    let context: ServiceContext
    let consumer: EventConsumerService

    func run() async throws {
        let keys = keys, context = context
        try await LoadThenRun("api keys", context: context, reloadOn: keys.changes, load: {
            try await keys.load(client: context.postgres, logger: context.logger)
            context.logger.debug("api keys loaded", metadata: ["apikeys.count": "\(context.apiKeys.count)"])
        }, then: [consumer]).run()
    }
}
