import IntelliCoreServiceKit
import ServiceLifecycle

extension IngestionService {
    /// Pins the platform administrator's key from configuration and registers the HTTP routes;
    /// the kit runs the outbox relay and the tenants consumer.
    @Sendable
    static func build(_ context: ServiceContext, settings: IngestionSettings, routes: ServiceRoutes) throws -> [any Service] {
        if let adminKey = settings.adminKey {
            context.apiKeys.pin(hash: APIKeyAuthenticator.hash(adminKey), caller: PlatformAdmin.caller)
        } else {
            context.logger.warning("INGESTION_ADMIN_KEY is not set: no key can create tenants until one is configured")
        }
        TenantRoutes(context: context, store: TenantStore(schema: context.schema)).add(to: routes.api)
        return []
    }
}
