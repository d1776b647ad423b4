import Foundation
import IntelliCorePostgres
import Logging
import PostgresNIO

/// One job of a `WorkQueue`, as a worker holds it.
public struct WorkItem: Sendable, Hashable {
    public let id: String
    public let tenantId: String?
    public let priority: Int
    public let payload: [UInt8]
    /// 1 for the first run; a job whose lease expired (its worker died) runs again with the next.
    public let attempt: Int
    public let maxAttempts: Int
}

/// A named queue of jobs in the service's `work_queue` table (platform migration 2): priority,
/// a per-tenant limit on running jobs, leases that expire so a killed worker's job is picked up
/// again, retries with backoff up to a limit, and cancellation.
public struct WorkQueue: Sendable {
    public let schema: SchemaName
    public let name: String
    /// Jobs of one tenant running at once, at most; nil for no limit.
    public let perTenantLimit: Int?

    public init(schema: SchemaName, name: String, perTenantLimit: Int? = nil) {
        self.schema = schema
        self.name = name
        self.perTenantLimit = perTenantLimit
    }

    private var table: String { schema.qualified("work_queue") }

    /// Adds a job in the caller's transaction (so the job and the state change that asked for it
    /// commit together); false when a job with this id exists already.
    @discardableResult
    public func enqueue(id: String, tenantId: String?, priority: Int = 0, payload: [UInt8], maxAttempts: Int = 3,
                        on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: table) (id, queue, tenant_id, priority, payload, max_attempts)
            VALUES (\(id), \(name), \(tenantId), \(priority), \(ByteBuffer(bytes: payload)), \(max(1, maxAttempts)))
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Cancels a job that has not finished; a running one loses its lease, so its worker's
    /// completion is refused. False when the job is unknown or already finished.
    @discardableResult
    public func cancel(id: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE \(unescaped: table) SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = now()
            WHERE id = \(id) AND queue = \(name) AND state IN ('ready', 'running') RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Takes the most urgent job that is ready (or whose lease expired) for `owner`, for `lease`.
    /// Claims are serialised per queue so the per-tenant limit holds across workers.
    func claim(owner: String, lease: Duration, client: PostgresClient, logger: Logger) async throws -> WorkItem? {
        let leaseMilliseconds = Int(lease / .milliseconds(1))
        let limit = perTenantLimit ?? Int(Int32.max)
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("intellicore.work.\(schema.rawValue).\(name)")))", logger: logger)
            let rows = try await connection.query("""
                UPDATE \(unescaped: table) SET state = 'running', lease_owner = \(owner),
                    lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond', attempts = attempts + 1, updated_at = now()
                WHERE id = (
                    SELECT j.id FROM \(unescaped: table) j
                    WHERE j.queue = \(name)
                      AND ((j.state = 'ready' AND j.run_after <= now()) OR (j.state = 'running' AND j.lease_until < now()))
                      AND (j.tenant_id IS NULL OR (SELECT count(*) FROM \(unescaped: table) r
                           WHERE r.queue = j.queue AND r.tenant_id = j.tenant_id AND r.id <> j.id
                             AND r.state = 'running' AND r.lease_until >= now()) < \(limit))
                    ORDER BY j.priority DESC, j.created_at, j.id
                    FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING id, tenant_id, priority, payload, attempts, max_attempts
                """, logger: logger)
            for try await (id, tenant, priority, payload, attempts, maxAttempts) in rows.decode((String, String?, Int, ByteBuffer, Int, Int).self) {
                return WorkItem(id: id, tenantId: tenant, priority: priority, payload: Array(buffer: payload), attempt: attempts,
                                maxAttempts: maxAttempts)
            }
            return nil
        }
    }

    /// Extends `owner`'s lease; false when the lease is no longer its own (expired and taken, or cancelled).
    func renew(_ item: WorkItem, owner: String, lease: Duration, client: PostgresClient, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE \(unescaped: table) SET lease_until = now() + \(Int(lease / .milliseconds(1))) * interval '1 millisecond', updated_at = now()
            WHERE id = \(item.id) AND state = 'running' AND lease_owner = \(owner) AND attempts = \(item.attempt) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Marks the job done in the caller's transaction, or throws `WorkLeaseLost` (rolling the
    /// transaction's effects back) when `owner` no longer holds it.
    func complete(_ item: WorkItem, owner: String, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            UPDATE \(unescaped: table) SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = now()
            WHERE id = \(item.id) AND state = 'running' AND lease_owner = \(owner) AND attempts = \(item.attempt) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return }
        throw WorkLeaseLost(id: item.id)
    }

    /// Records a failed attempt: the job runs again after `retryAfter`, or fails for good once it
    /// used its attempts. Returns true when it failed for good.
    func fail(_ item: WorkItem, owner: String, error: String, retryAfter: Duration, client: PostgresClient, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE \(unescaped: table)
            SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'ready' END,
                run_after = now() + \(Int(retryAfter / .milliseconds(1))) * interval '1 millisecond',
                lease_owner = NULL, lease_until = NULL, last_error = \(error), updated_at = now()
            WHERE id = \(item.id) AND state = 'running' AND lease_owner = \(owner) AND attempts = \(item.attempt)
            RETURNING state
            """, logger: logger)
        for try await state in rows.decode(String.self) { return state == "failed" }
        return false
    }

    /// The state of a job (`ready`, `running`, `done`, `failed`, `cancelled`), its attempts and last error.
    public func status(id: String, client: PostgresClient, logger: Logger) async throws -> (state: String, attempts: Int, lastError: String?)? {
        let rows = try await client.query("""
            SELECT state, attempts, last_error FROM \(unescaped: table) WHERE id = \(id) AND queue = \(name)
            """, logger: logger)
        for try await row in rows.decode((String, Int, String?).self) { return (row.0, row.1, row.2) }
        return nil
    }
}

/// The worker no longer holds the job: its lease expired and another worker took it, or it was
/// cancelled. Whatever it was about to commit is rolled back.
public struct WorkLeaseLost: Error, Sendable, CustomStringConvertible {
    public let id: String

    /// A handler that finds its job cancelled mid-run throws this to stop without effects.
    public init(id: String) {
        self.id = id
    }

    public var description: String { "job \(id) is no longer held by this worker (lease expired or cancelled)" }
}
