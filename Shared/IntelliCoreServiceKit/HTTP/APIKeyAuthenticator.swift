import Crypto
import HTTPTypes
import Hummingbird
import IntelliCoreEvents

/// Resolves the caller of every request from its API key (`Authorization: Bearer <key>`, or
/// `X-API-Key`) by the key's SHA-256 in the keys this service materialised from
/// `intellicore.tenants`. A missing, unknown or revoked key is a 401; the roles a route needs are
/// checked by `RequireRole` (403).
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = APIRequestContext
    let directory: APIKeyDirectory

    public init(directory: APIKeyDirectory) {
        self.directory = directory
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = Self.presentedKey(in: request) else {
            throw APIError.unauthorized("an API key is required: send Authorization: Bearer <key>")
        }
        guard let caller = directory.caller(forKeyHash: Self.hash(key)) else {
            throw APIError.unauthorized("the API key is unknown or revoked", code: "invalid_api_key")
        }
        var context = context
        context.caller = caller
        context.logger[metadataKey: "tenant.id"] = "\(caller.tenantId)"
        context.logger[metadataKey: "apikey.id"] = "\(caller.keyId)"
        return try await next(request, context)
    }

    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    static func presentedKey(in request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty { return String(parts[1]) }
        }
        return request.headers[apiKeyHeader].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Lower-case hex SHA-256 of the key: how keys are stored and travel in `ApiKeyIssued`.
    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Lets a request through only when its caller's role allows `role` (403 otherwise).
public struct RequireRole: RouterMiddleware {
    public typealias Context = APIRequestContext
    let role: APIKeyRole

    public init(_ role: APIKeyRole) {
        self.role = role
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        _ = try context.requireCaller(role)
        return try await next(request, context)
    }
}
