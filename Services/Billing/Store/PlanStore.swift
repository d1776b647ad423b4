import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Plans and which tenant is on which.
struct PlanStore: Sendable {
    let schema: SchemaName

    private var plans: String { schema.qualified("plans") }
    private var assignments: String { schema.qualified("tenant_plans") }

    /// Creates or replaces a plan; true when it is new.
    func save(_ plan: Plan, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let json = String(decoding: try EventCodec.encode(plan), as: UTF8.self)
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: plans) (plan_id, currency, definition) VALUES (\(plan.planId), \(plan.currency), \(json))
            ON CONFLICT (plan_id) DO UPDATE SET currency = excluded.currency, definition = excluded.definition, updated_at = now()
            RETURNING (xmax = 0)
            """, logger: logger)
        for try await inserted in rows.decode(Bool.self) { return inserted }
        return false
    }

    func plans(on connection: PostgresConnection, logger: Logger) async throws -> [Plan] {
        let rows = try await connection.query("SELECT definition FROM \(unescaped: plans) ORDER BY plan_id", logger: logger)
        var found: [Plan] = []
        for try await definition in rows.decode(String.self) { found.append(try EventCodec.decode(Plan.self, from: Array(definition.utf8))) }
        return found
    }

    /// The tenant's plan id (nil when it has none) and the plan (nil when no plan of that id exists yet).
    func plan(of tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> (planId: String?, plan: Plan?) {
        let rows = try await connection.query("""
            SELECT a.plan_id, p.definition FROM \(unescaped: assignments) a LEFT JOIN \(unescaped: plans) p ON p.plan_id = a.plan_id
            WHERE a.tenant_id = \(tenant)
            """, logger: logger)
        for try await (id, definition) in rows.decode((String, String?).self) {
            return (id, try definition.map { try EventCodec.decode(Plan.self, from: Array($0.utf8)) })
        }
        return (nil, nil)
    }

    /// Puts the tenant on `planId`; `onlyIfNone` keeps an existing assignment (TenantCreated redelivered after an admin change).
    func assign(tenant: String, planId: String, onlyIfNone: Bool = false, on connection: PostgresConnection, logger: Logger) async throws {
        if onlyIfNone {
            try await connection.query("""
                INSERT INTO \(unescaped: assignments) (tenant_id, plan_id) VALUES (\(tenant), \(planId)) ON CONFLICT (tenant_id) DO NOTHING
                """, logger: logger)
        } else {
            try await connection.query("""
                INSERT INTO \(unescaped: assignments) (tenant_id, plan_id) VALUES (\(tenant), \(planId))
                ON CONFLICT (tenant_id) DO UPDATE SET plan_id = excluded.plan_id, assigned_at = now()
                """, logger: logger)
        }
    }

    /// Tenants on a plan (for re-evaluating quotas when it changes).
    func tenants(on planId: String, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query("SELECT tenant_id FROM \(unescaped: assignments) WHERE plan_id = \(planId)", logger: logger)
        var tenants: [String] = []
        for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
        return tenants
    }
}
