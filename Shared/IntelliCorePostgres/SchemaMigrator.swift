import Logging
import PostgresNIO

/// Applies a service's migrations to its own schema, once each, in version order.
///
/// Runs in one transaction under an advisory lock, so replicas starting together do not race.
public struct SchemaMigrator: Sendable {
    public let schema: SchemaName
    public let migrations: [Migration]

    public init(schema: SchemaName, migrations: [Migration]) throws(PostgresKitError) {
        let versions = migrations.map(\.version)
        guard versions == versions.sorted(), Set(versions).count == versions.count else {
            throw PostgresKitError(.migrationsOutOfOrder, "migration versions must be unique and ascending: \(versions)")
        }
        self.schema = schema
        self.migrations = migrations
    }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let lockKey = "intellicore.migrate.\(schema.rawValue)"
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema.rawValue)"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(schema.qualified("schema_migrations")) (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """), logger: logger)
                var applied = Set<Int>()
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT version FROM \(schema.qualified("schema_migrations"))"), logger: logger)
                for try await version in rows.decode(Int.self) { applied.insert(version) }
                var now: [Int] = []
                for migration in migrations where !applied.contains(migration.version) {
                    for statement in migration.statements(in: schema) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    var insert = PostgresQuery(unsafeSQL: "INSERT INTO \(schema.qualified("schema_migrations")) (version, name) VALUES ($1, $2)")
                    insert.binds.append(migration.version)
                    insert.binds.append(migration.name)
                    try await connection.query(insert, logger: logger)
                    logger.info("migration applied", metadata: ["db.schema": "\(schema)", "db.migration": "\(migration.version) \(migration.name)"])
                    now.append(migration.version)
                }
                return now
            }
        } catch {
            throw PostgresKitError(.migrationFailed, "migrating schema \(schema)", underlying: error)
        }
    }
}
