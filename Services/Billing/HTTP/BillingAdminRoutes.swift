import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Plans, for the platform administrator: create or replace a plan, list them, put a tenant on
/// one. A change re-checks the quotas of the tenants it touches (`QuotaRestored` when a tenant is
/// no longer over a limit, `QuotaExceeded` when it now is), in the same transaction.
enum BillingAdminRoutes {
    struct PlanAssignment: ClosedJSONObject {
        let planId: String
        enum CodingKeys: String, CodingKey, CaseIterable { case planId = "plan_id" }
        static let fields = fieldNames(CodingKeys.self)
    }

    struct Assigned: Encodable, Sendable {
        let tenantId: String
        let planId: String
    }

    struct PlanList: Encodable, Sendable {
        let items: [Plan]
    }

    static func add(to api: RouterGroup<APIRequestContext>, context: ServiceContext, plans: PlanStore, keeper: QuotaKeeper) {
        api.post("/v1/billing/plans") { request, requestContext in
            _ = try PlatformAdmin.require(requestContext, to: "manages plans")
            let plan = try JSONRequestBody.decode(PlanDefinition.self, from: try await JSONRequestBody.bytes(of: request)).validated()
            let created = try await context.transaction { transaction in
                let created = try await plans.save(plan, on: transaction.connection, logger: transaction.logger)
                try await keeper.evaluate(try await plans.tenants(on: plan.planId, on: transaction.connection, logger: transaction.logger), in: transaction)
                return created
            }
            return try JSONResponse.events(created ? .created : .ok, plan)
        }
        api.get("/v1/billing/plans") { _, requestContext in
            _ = try PlatformAdmin.require(requestContext, to: "manages plans")
            return try JSONResponse.events(.ok, PlanList(items: try await context.transaction { try await plans.plans(on: $0.connection, logger: $0.logger) }))
        }
        api.put("/v1/billing/tenants/:tenant/plan") { request, requestContext in
            _ = try PlatformAdmin.require(requestContext, to: "manages plans")
            let tenant = try requestContext.parameters.require("tenant")
            guard !tenant.utf8.contains(0), tenant.count <= 128 else { throw APIError.notFound("tenant \(tenant) does not exist") }
            let assignment = try JSONRequestBody.decode(PlanAssignment.self, from: try await JSONRequestBody.bytes(of: request))
            try await context.transaction { transaction in
                guard try await plans.plans(on: transaction.connection, logger: transaction.logger).contains(where: { $0.planId == assignment.planId }) else {
                    throw APIError.unprocessable("plan \(assignment.planId) does not exist; create it with POST /v1/billing/plans", code: "unknown_plan",
                                                 details: ["field": "plan_id"])
                }
                try await plans.assign(tenant: tenant, planId: assignment.planId, on: transaction.connection, logger: transaction.logger)
                try await keeper.evaluate([tenant], in: transaction)
            }
            return try JSONResponse.events(.ok, Assigned(tenantId: tenant, planId: assignment.planId))
        }
    }
}
