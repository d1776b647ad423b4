import Hummingbird
import IntelliCoreServiceKit

/// Every authenticated request takes a token from its key's bucket, sized by the tenant's plan;
/// an empty bucket is `429` with `Retry-After`. The platform administrator is not limited.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let limiter: RateLimiter
    let limits: [String: RateLimit]
    let plans: TenantPlans

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let caller = context.caller, !PlatformAdmin.isPlatformAdmin(caller) else { return try await next(request, context) }
        let plan = await plans.plan(of: caller.tenantId)
        let limit = plan.flatMap { limits[$0] } ?? limits["default"] ?? RateLimit(perSecond: 100, burst: 200)
        if case .refused(let seconds) = await limiter.take(key: "ic:rl:v1:\(caller.tenantId):\(caller.keyId)", limit: limit) {
            throw APIError.tooManyRequests("key \(caller.keyId) is over its plan's limit of \(limit)", retryAfterSeconds: seconds)
        }
        return try await next(request, context)
    }
}
