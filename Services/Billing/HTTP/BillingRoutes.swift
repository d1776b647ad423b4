import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCorePostgres
import IntelliCoreServiceKit
import PostgresNIO

/// The billing API under `/v1/billing/`, for the caller's tenant.
enum BillingRoutes {
    struct UsagePage: Encodable, Sendable {
        let tenantId: String
        let period: String
        let periodStart: Date
        let periodEnd: Date
        let items: [UsageLine]
        let nextCursor: String?

        enum CodingKeys: String, CodingKey { case tenantId, period, periodStart, periodEnd, items, nextCursor }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tenantId, forKey: .tenantId)
            try container.encode(period, forKey: .period)
            try container.encode(periodStart, forKey: .periodStart)
            try container.encode(periodEnd, forKey: .periodEnd)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor) // null on the last page, never absent
        }
    }

    static func add(to api: RouterGroup<APIRequestContext>, client: PostgresClient, usage: UsageReadStore, invoices: InvoiceStore, cycle: BillingCycle,
                    plans: PlanStore, context serviceContext: ServiceContext) {
        /// `GET /v1/billing/invoices`: the tenant's final invoices, newest first.
        api.get("/v1/billing/invoices") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<Date>(request)
            let found = try await invoices.invoices(tenant: caller.tenantId, before: page.after, limit: page.limit + 1, client: client, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.periodStart))
        }
        /// `GET /v1/billing/invoices/{period}`: the final invoice, or the draft while the period is open.
        api.get("/v1/billing/invoices/:period") { _, context in
            let caller = try context.requireCaller(.viewer)
            guard let period = BillingPeriod(try context.parameters.require("period")) else {
                throw APIError.badRequest("the period is a month written YYYY-MM", code: "invalid_period")
            }
            if let issued = try await invoices.invoices(tenant: caller.tenantId, period: period, before: nil, limit: 1, client: client,
                                                        logger: context.logger).first {
                return try JSONResponse.events(.ok, issued)
            }
            return try JSONResponse.events(.ok, try await cycle.draft(tenant: caller.tenantId, period: period))
        }
        /// `GET /v1/billing/plan`: the caller's tenant's plan.
        api.get("/v1/billing/plan") { _, context in
            let caller = try context.requireCaller(.viewer)
            let assigned = try await serviceContext.transaction { try await plans.plan(of: caller.tenantId, on: $0.connection, logger: $0.logger) }
            guard let plan = assigned.plan else {
                throw APIError.notFound("tenant \(caller.tenantId) has no plan billing knows (\(assigned.planId ?? "none assigned"))", code: "unknown_plan")
            }
            return try JSONResponse.events(.ok, plan)
        }

        /// `GET /v1/billing/usage?period=2026-12&meter=&model=&version=`: totals per meter, model and version.
        api.get("/v1/billing/usage") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<String>(request)
            let period = try Self.period(request)
            let meter = try request.filter("meter"), model = try request.filter("model"), version = try request.filter("version")
            if let meter, UsageMeter(rawValue: meter) == nil {
                throw APIError.badRequest("meter must be one of \(UsageMeter.allCases.map(\.rawValue).joined(separator: ", "))", code: "invalid_meter")
            }
            let found = try await usage.usage(tenant: caller.tenantId, start: period.start, end: period.end, meter: meter, model: model,
                                              version: version, after: page.after, limit: page.limit + 1, logger: context.logger)
            let paged = page.page(found, position: \.position)
            return try JSONResponse.events(.ok, UsagePage(tenantId: caller.tenantId, period: period.description, periodStart: period.start,
                                                          periodEnd: period.end, items: paged.items, nextCursor: paged.nextCursor))
        }
    }

    /// `period=YYYY-MM`, the current month when absent.
    static func period(_ request: Request) throws(APIError) -> BillingPeriod {
        guard let text = request.uri.queryParameters["period"].map(String.init) else { return BillingPeriod(containing: Date()) }
        guard let period = BillingPeriod(text) else { throw APIError.badRequest("period must be a month written YYYY-MM", code: "invalid_period") }
        return period
    }

}
