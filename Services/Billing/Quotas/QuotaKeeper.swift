import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Keeps each tenant's quota state in step with its plan's hard limits: `QuotaExceeded` once when
/// a meter's use in the current period passes the limit (inference then refuses the tenant's
/// predictions), `QuotaRestored` when it no longer does — a new period began or the plan changed.
/// Runs in the caller's transaction, so a state change and its event commit together, once.
struct QuotaKeeper: Sendable {
    let plans: PlanStore
    let store: QuotaStore

    func evaluate(_ tenants: some Sequence<String>, now: Date = Date(), in transaction: EventTransaction) async throws {
        let connection = transaction.connection, logger = transaction.logger
        let period = BillingPeriod(containing: now)
        for tenant in Set(tenants).sorted() { // one order everywhere: no two evaluations wait on each other
            try await store.lock(tenant: tenant, on: connection, logger: logger)
            let plan = try await plans.plan(of: tenant, on: connection, logger: logger).plan
            let states = try await store.states(tenant: tenant, on: connection, logger: logger)
            let limited = plan?.meters.filter { $0.value.hardLimit != nil } ?? [:]
            guard !limited.isEmpty || states.values.contains(where: \.exceeded) else { continue }
            let used = try await store.usage(tenant: tenant, period: period, on: connection, logger: logger)
            for meter in UsageMeter.allCases {
                let limit = limited[meter.rawValue]?.hardLimit
                let quantity = used[meter.rawValue] ?? 0
                let over = limit.map { quantity > $0 } ?? false
                let state = states[meter.rawValue]
                let exceededNow = state.map { $0.exceeded && $0.start == period.start } ?? false
                if over && !exceededNow {
                    try await store.setState(tenant: tenant, meter: meter.rawValue, period: period, exceeded: true, on: connection, logger: logger)
                    try await transaction.publish(QuotaExceeded(tenantId: tenant, meter: meter.rawValue, limit: Self.double(limit ?? 0),
                                                                used: Self.double(quantity), periodStart: period.start, periodEnd: period.end),
                                                  key: tenant, subject: "\(tenant)/\(meter.rawValue)", tenantId: tenant)
                } else if !over, state?.exceeded == true {
                    try await store.setState(tenant: tenant, meter: meter.rawValue, period: period, exceeded: false, on: connection, logger: logger)
                    try await transaction.publish(QuotaRestored(tenantId: tenant, meter: meter.rawValue, limit: limit.map(Self.double) ?? 0,
                                                                used: Self.double(quantity), periodStart: period.start, periodEnd: period.end),
                                                  key: tenant, subject: "\(tenant)/\(meter.rawValue)", tenantId: tenant)
                }
            }
        }
    }

    static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }
}
