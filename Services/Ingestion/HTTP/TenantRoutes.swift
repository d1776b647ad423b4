import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Tenants and their API keys. Each change is written with its event (`TenantCreated`,
/// `ApiKeyIssued`, `ApiKeyRevoked` on `intellicore.tenants`) in one transaction; every service
/// authenticates against what it materialises from those events.
struct TenantRoutes: Sendable {
    let context: ServiceContext
    let store: TenantStore

    struct NewTenant: Decodable {
        let tenantId: String
        let name: String
        let plan: String

        enum CodingKeys: String, CodingKey {
            case tenantId = "tenant_id", name, plan
        }
    }

    struct NewKey: Decodable {
        let role: String
    }

    struct IssuedKey: Encodable {
        let tenantId: String
        let keyId: String
        let role: String
        /// Shown once, here; only its hash is stored.
        let key: String

        enum CodingKeys: String, CodingKey {
            case tenantId = "tenant_id", keyId = "key_id", role, key
        }
    }

    func add(to api: RouterGroup<APIRequestContext>) {
        api.post("/v1/tenants") { request, context in
            let caller = try context.requireCaller(.admin)
            guard PlatformAdmin.isPlatformAdmin(caller) else {
                throw APIError.forbidden("only the platform administrator (INGESTION_ADMIN_KEY) creates tenants")
            }
            let body = try await JSONRequestBody.decode(NewTenant.self, from: request, context: context)
            let tenant = TenantCreated(tenantId: try Self.tenantId(body.tenantId), name: try Self.name(body.name), plan: try Self.plan(body.plan))
            try await self.context.transaction { transaction in
                guard try await store.create(tenant, on: transaction.connection, logger: transaction.logger) else {
                    throw APIError.conflict("tenant \(tenant.tenantId) already exists", details: ["tenant_id": tenant.tenantId])
                }
                _ = try await transaction.publish(tenant, key: tenant.tenantId, subject: tenant.tenantId, tenantId: tenant.tenantId)
                try await transaction.audit(.tenantCreate, by: caller, tenant: tenant.tenantId, resource: "tenants/\(tenant.tenantId)",
                                            details: ["plan": .string(tenant.plan)])
            }
            return try JSONResponse.make(.created, ["tenant_id": tenant.tenantId, "name": tenant.name, "plan": tenant.plan])
        }

        api.post("/v1/tenants/:tenant/keys") { request, context in
            let tenant = try context.parameters.require("tenant")
            let caller = try PlatformAdmin.requireAdmin(of: tenant, context)
            let body = try await JSONRequestBody.decode(NewKey.self, from: request, context: context)
            guard let role = APIKeyRole(rawValue: body.role) else {
                throw APIError.unprocessable("role must be one of \(APIKeyRole.allCases.map(\.rawValue).joined(separator: ", "))",
                                             code: "invalid_field", details: ["field": "role"])
            }
            let key = APIKeyGenerator.key()
            let issued = ApiKeyIssued(tenantId: tenant, keyId: APIKeyGenerator.keyId(), keyHash: APIKeyAuthenticator.hash(key), role: role)
            let directory = self.context.apiKeys
            try await self.context.transaction { transaction in
                guard try await store.exists(tenant: tenant, on: transaction.connection, logger: transaction.logger) else {
                    throw APIError.notFound("tenant \(tenant) does not exist")
                }
                try await store.issue(issued, on: transaction.connection, logger: transaction.logger)
                _ = try await transaction.publish(issued, key: tenant, subject: issued.keyId, tenantId: tenant)
                try await transaction.audit(.apiKeyIssue, by: caller, tenant: tenant, resource: "tenants/\(tenant)/keys/\(issued.keyId)",
                                            details: ["role": .string(role.rawValue)])
                try await transaction.notify(self.context.apiKeyChanges) // the other replicas' directories
                transaction.afterCommit {
                    directory.issue(hash: issued.keyHash, caller: Caller(tenantId: tenant, keyId: issued.keyId, role: role))
                }
            }
            return try JSONResponse.make(.created, IssuedKey(tenantId: tenant, keyId: issued.keyId, role: role.rawValue, key: key))
        }

        api.get("/v1/tenants/:tenant/keys") { request, context in
            let tenant = try context.parameters.require("tenant")
            _ = try PlatformAdmin.requireAdmin(of: tenant, context)
            let page = try PageRequest<String>(request)
            let keys = try await self.context.postgres.withConnection { connection in
                guard try await store.exists(tenant: tenant, on: connection, logger: self.context.logger) else {
                    throw APIError.notFound("tenant \(tenant) does not exist")
                }
                return try await store.keys(tenant: tenant, after: page.after, limit: page.limit + 1, on: connection, logger: self.context.logger)
            }
            return try JSONResponse.make(.ok, page.page(keys, position: \.keyId))
        }

        api.delete("/v1/tenants/:tenant/keys/:key") { _, context in
            let tenant = try context.parameters.require("tenant"), keyId = try context.parameters.require("key")
            let caller = try PlatformAdmin.requireAdmin(of: tenant, context)
            let directory = self.context.apiKeys
            try await self.context.transaction { transaction in
                guard try await store.revoke(tenant: tenant, keyId: keyId, on: transaction.connection, logger: transaction.logger) else {
                    throw APIError.notFound("tenant \(tenant) has no active key \(keyId)")
                }
                _ = try await transaction.publish(ApiKeyRevoked(tenantId: tenant, keyId: keyId), key: tenant, subject: keyId, tenantId: tenant)
                try await transaction.audit(.apiKeyRevoke, by: caller, tenant: tenant, resource: "tenants/\(tenant)/keys/\(keyId)")
                try await transaction.notify(self.context.apiKeyChanges) // the other replicas' directories
                transaction.afterCommit { directory.revoke(tenantId: tenant, keyId: keyId) }
            }
            return Response(status: .noContent)
        }
    }

    /// Lower-case letters, digits and dashes, 2 to 63 long, starting with a letter or digit.
    static func tenantId(_ text: String) throws -> String {
        guard text.utf8.count >= 2, text.utf8.count <= 63, text.utf8.allSatisfy(Self.isSlugByte), text.first != "-" else {
            throw APIError.unprocessable("tenant_id must be 2–63 lower-case letters, digits or dashes, not starting with a dash",
                                         code: "invalid_field", details: ["field": "tenant_id"])
        }
        guard text != PlatformAdmin.tenantId else {
            throw APIError.unprocessable("tenant_id \(text) is reserved", code: "invalid_field", details: ["field": "tenant_id"])
        }
        return text
    }

    static func name(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw APIError.unprocessable("name must be 1–200 characters", code: "invalid_field", details: ["field": "name"])
        }
        return trimmed
    }

    static func plan(_ text: String) throws -> String {
        guard !text.isEmpty, text.utf8.count <= 63, text.utf8.allSatisfy(Self.isSlugByte) else {
            throw APIError.unprocessable("plan must be 1–63 lower-case letters, digits or dashes", code: "invalid_field", details: ["field": "plan"])
        }
        return text
    }

    private static func isSlugByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (48...57).contains(byte) || byte == 45
    }
}
