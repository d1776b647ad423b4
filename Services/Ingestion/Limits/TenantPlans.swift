import Foundation
import IntelliCorePostgres
import IntelliCoreServiceKit
import Logging
import PostgresNIO
import Synchronization

/// Each tenant's plan, read from ingestion's `tenants` table and kept for `maximumAge`, so a
/// request costs no query; a plan change takes effect within that time.
final class TenantPlans: Sendable {
    private let client: PostgresClient
    private let table: String
    private let logger: Logger
    private let known = Mutex<[String: (plan: String, read: ContinuousClock.Instant)]>([:])
    let maximumAge: Duration = .seconds(30)

    init(client: PostgresClient, schema: SchemaName, logger: Logger) {
        self.client = client
        self.table = schema.qualified("tenants")
        self.logger = logger
    }

    /// The tenant's plan; nil when the tenant is unknown or the database cannot say.
    func plan(of tenant: String) async -> String? {
        let now = ContinuousClock.now
        if let entry = known.withLock({ $0[tenant] }), now - entry.read < maximumAge { return entry.plan }
        do {
            let rows = try await client.query("SELECT plan FROM \(unescaped: table) WHERE tenant_id = \(tenant)", logger: logger)
            for try await plan in rows.decode(String.self) {
                known.withLock { $0[tenant] = (plan, now) }
                return plan
            }
        } catch {
            logger.warning("tenant plan unavailable; the default rate limit applies", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
        }
        return nil
    }
}
