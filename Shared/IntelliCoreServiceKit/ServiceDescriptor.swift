import IntelliCorePostgres

/// What distinguishes one service executable: its name, schema, port and migrations.
public struct ServiceDescriptor: Sendable {
    /// `ingestion`, `training-orchestrator`, `inference`, `monitoring` or `billing`.
    public let name: String
    /// The service's own PostgreSQL schema.
    public let schema: String
    public let defaultHTTPPort: Int
    /// The service's own migrations, versions 100 and up (1…99 belong to the platform baseline).
    public let migrations: [Migration]
    /// Whether the service publishes through its outbox: only then does it run an outbox relay.
    public let usesOutbox: Bool

    public init(name: String, schema: String, defaultHTTPPort: Int, migrations: [Migration] = [], usesOutbox: Bool = false) {
        self.name = name
        self.schema = schema
        self.defaultHTTPPort = defaultHTTPPort
        self.migrations = migrations
        self.usesOutbox = usesOutbox
    }

    /// `/intellicore/<name>`, the `ce_source` of events this service produces.
    public var eventSource: String { "/intellicore/\(name)" }

    var allMigrations: [Migration] { Migration.platform + migrations }
}
