import IntelliCoreServiceKit
import ServiceLifecycle

extension IngestionService {
    /// Pins the platform administrator's key from configuration and registers the HTTP routes
    /// behind the per-key rate limit;
    /// the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: IngestionSettings, routes: ServiceRoutes) throws -> [any Service] {
        if let adminKey = settings.adminKey {
            context.apiKeys.pin(hash: APIKeyAuthenticator.hash(adminKey), caller: PlatformAdmin.caller)
        } else {
            context.logger.warning("INGESTION_ADMIN_KEY is not set: no key can create tenants until one is configured")
        }
        let plans = TenantPlans(client: context.postgres, schema: context.schema, logger: context.logger)
        let api = routes.api.group().add(middleware: RateLimitMiddleware(limiter: RateLimiter(cache: context.cache),
                                                                          limits: settings.rateLimits, plans: plans))
        TenantRoutes(context: context, store: TenantStore(schema: context.schema)).add(to: api)
        return []
    }
}
