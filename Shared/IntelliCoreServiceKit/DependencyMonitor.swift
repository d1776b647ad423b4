import IntelliCoreConcurrency
import IntelliCoreKafka
import IntelliCorePostgres
import Logging
import PostgresNIO
import ServiceLifecycle

/// Brings the service's dependencies up and keeps `/health/ready` honest.
///
/// At start it migrates the schema (retrying with backoff until PostgreSQL answers), then checks
/// every few seconds that Kafka's metadata, PostgreSQL and Redis respond. Redis is optional:
/// without it the cache is off but the service stays ready.
struct DependencyMonitor: Service {
    let context: ServiceContext
    let admin: KafkaAdmin
    let migrator: SchemaMigrator
    let schemaReady: StartupGate
    var interval: Duration = .seconds(5)

    func run() async throws {
        let logger = context.logger
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        var migrated = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !migrated {
                do {
                    let applied = try await migrator.migrate(context.postgres, logger: logger)
                    migrated = true
                    schemaReady.open()
                    logger.info("schema ready", metadata: ["db.schema": "\(migrator.schema)", "db.migrations.applied": "\(applied)"])
                } catch {
                    context.health.update("postgres", ok: false, detail: "migrations not applied yet")
                    logger.warning("database not ready; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: backoff.next())
                    continue
                }
            }
            await check()
            try? await Task.sleep(for: context.health.isReady ? interval : .milliseconds(500))
        }
    }

    /// What a failing check says to callers of `/health/ready`: no driver or database text,
    /// which may name hosts, users or queries; the error itself goes to the log.
    static let unreachable = "unreachable; see the service log"

    private func check() async {
        do {
            let topics = try await admin.topics(timeout: .seconds(3))
            let missing = [context.configuration.topics[.deadLetter]].filter { topics[$0] == nil }
            context.health.update("kafka", ok: true, detail: missing.isEmpty ? "ok" : "connected; missing topics \(missing)")
        } catch {
            context.logger.warning("kafka check failed", metadata: ["error": "\(error)"])
            context.health.update("kafka", ok: false, detail: Self.unreachable)
        }
        do {
            try await context.postgres.query("SELECT 1", logger: context.logger)
            context.health.update("postgres", ok: true)
        } catch {
            context.logger.warning("postgres check failed", metadata: ["error": "\(String(reflecting: error))"])
            context.health.update("postgres", ok: false, detail: Self.unreachable)
        }
        let redisUp = await context.cache.ping()
        context.health.update("redis", ok: redisUp, detail: redisUp ? "ok" : "unreachable; cache off", required: false)
    }
}
