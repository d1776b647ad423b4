import IntelliCoreEvents
import IntelliCoreServiceKit

/// A new tenant's plan comes with `TenantCreated`; an administrator's later change is kept.
struct TenantPlansHandler: Sendable {
    let plans: PlanStore

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(TenantCreated.self) { _, created, transaction in
            try await plans.assign(tenant: created.tenantId, planId: created.plan, onlyIfNone: true,
                                   on: transaction.connection, logger: transaction.logger)
        }
        return handlers
    }
}
