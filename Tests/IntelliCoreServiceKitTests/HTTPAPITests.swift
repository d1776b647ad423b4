import Foundation
import Hummingbird
import HummingbirdTesting
import IntelliCoreEvents
import IntelliCoreRedis
import Logging
@testable import IntelliCoreServiceKit
import Testing

/// The kit's HTTP conventions without servers: API-key callers and roles, error bodies, request
/// ids and keyset pagination.
@Suite struct HTTPAPITests {
    static let developerKey = "ic_dev_0123456789"
    static let viewerKey = "ic_view_0123456789"
    static let revokedKey = "ic_old_0123456789"

    func makeApp(directory: APIKeyDirectory) -> some ApplicationProtocol {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: APIErrorMiddleware())
        router.get("/public") { _, _ in "ok" }
        let api = router.group().add(middleware: APIKeyAuthenticator(directory: directory))
        api.get("/whoami") { _, context -> String in
            let caller = try context.requireCaller(.viewer)
            return "\(caller.tenantId)/\(caller.keyId)/\(caller.role.rawValue)"
        }
        api.group("/deploy").add(middleware: RequireRole(.developer)).post { _, context -> String in
            context.caller?.tenantId ?? "nobody"
        }
        router.get("/conflict") { _, _ -> String in throw APIError.conflict("already exists", details: ["id": "d1"]) }
        router.get("/limited") { _, _ -> String in throw APIError.tooManyRequests("slow down", retryAfterSeconds: 7) }
        router.get("/invalid") { _, _ -> String in throw APIError.unprocessable("column x is required", code: "schema_violation") }
        router.get("/crash") { _, _ -> String in throw SecretError() }
        router.post("/tenants") { request, context -> String in
            let body = try await JSONRequestBody.decode(NewTenant.self, from: request, context: context, limit: 256)
            return "\(body.tenantId):\(body.seats)"
        }
        return Application(router: router)
    }

    struct NewTenant: Decodable {
        struct Contact: Decodable { let email: String }
        let tenantId: String
        let seats: Int
        let contacts: [Contact]?

        enum CodingKeys: String, CodingKey {
            case tenantId = "tenant_id", seats, contacts
        }
    }

    struct SecretError: Error, CustomStringConvertible {
        var description: String { "connection to db-host-42 as user admin failed" }
    }

    func directory() -> APIKeyDirectory {
        let directory = APIKeyDirectory()
        directory.issue(hash: APIKeyAuthenticator.hash(Self.developerKey), caller: Caller(tenantId: "acme", keyId: "k1", role: .developer))
        directory.issue(hash: APIKeyAuthenticator.hash(Self.viewerKey), caller: Caller(tenantId: "acme", keyId: "k2", role: .viewer))
        directory.issue(hash: APIKeyAuthenticator.hash(Self.revokedKey), caller: Caller(tenantId: "acme", keyId: "k3", role: .admin))
        directory.revoke(tenantId: "acme", keyId: "k3")
        return directory
    }

    @Test func keysAreHashedAsLowerCaseHexSHA256() {
        #expect(APIKeyAuthenticator.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func callersAreAuthenticatedByKeyAndRole() async throws {
        try await makeApp(directory: directory()).test(.router) { client in
            try await client.execute(uri: "/public", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/whoami", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains(#""code":"unauthorized""#))
            }
            try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer nope"]) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains(#""code":"invalid_api_key""#))
            }
            try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer \(Self.revokedKey)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer \(Self.developerKey)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "acme/k1/developer")
            }
            try await client.execute(uri: "/whoami", method: .get, headers: [APIKeyAuthenticator.apiKeyHeader: Self.viewerKey]) { response in
                #expect(String(buffer: response.body) == "acme/k2/viewer")
            }
            try await client.execute(uri: "/deploy", method: .post, headers: [.authorization: "Bearer \(Self.viewerKey)"]) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains(#""code":"forbidden""#))
            }
            try await client.execute(uri: "/deploy", method: .post, headers: [.authorization: "Bearer \(Self.developerKey)"]) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func errorsCarryCodesDetailsRetryAfterAndNoInternals() async throws {
        try await makeApp(directory: directory()).test(.router) { client in
            try await client.execute(uri: "/conflict", method: .get) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body) == #"{"error":{"code":"conflict","details":{"id":"d1"},"message":"already exists"}}"#
                    || String(buffer: response.body).contains(#""details":{"id":"d1"}"#))
            }
            try await client.execute(uri: "/limited", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "7")
            }
            try await client.execute(uri: "/invalid", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""code":"schema_violation""#))
            }
            try await client.execute(uri: "/crash", method: .get, headers: [RequestLogMiddleware<APIRequestContext>.requestIdHeader: "req-123"]) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                #expect(!body.contains("db-host-42") && body.contains(#""code":"internal""#))
                #expect(response.headers[RequestLogMiddleware<APIRequestContext>.requestIdHeader] == "req-123")
            }
            try await client.execute(uri: "/public", method: .get) { response in
                #expect(response.headers[RequestLogMiddleware<APIRequestContext>.requestIdHeader]?.isEmpty == false)
            }
        }
    }

    struct Position: Codable, Sendable, Equatable {
        let createdAt: Int
        let id: String
    }

    @Test func pagesAreCutByLimitWithAnOpaqueCursor() throws {
        struct Item: Encodable, Sendable { let id: String; let createdAt: Int }
        let request = PageRequest<Position>(limit: 2)
        let fetched = [Item(id: "a", createdAt: 1), Item(id: "b", createdAt: 2), Item(id: "c", createdAt: 3)]
        let page = request.page(fetched) { Position(createdAt: $0.createdAt, id: $0.id) }
        #expect(page.items.map(\.id) == ["a", "b"])
        let cursor = try #require(page.nextCursor)
        #expect(!cursor.contains("=") && !cursor.contains("/") && !cursor.contains("+"))
        #expect(PageRequest<Position>.decode(cursor) == Position(createdAt: 2, id: "b"))
        #expect(PageRequest<Position>.decode("not-a-cursor") == nil)
        #expect(request.page(Array(fetched.prefix(2))) { Position(createdAt: $0.createdAt, id: $0.id) }.nextCursor == nil)
        let json = String(decoding: try JSONEncoder().encode(request.page([Item]()) { Position(createdAt: $0.createdAt, id: $0.id) }), as: UTF8.self)
        #expect(json.contains(#""next_cursor":null"#))
    }

    /// Every way a JSON body can be wrong gets its own 4xx with a reason, never a 500 or the body.
    @Test(arguments: [
        (#"{"tenant_id":"acme","seats":3}"#, "application/json", HTTPResponse.Status.ok, "acme:3"),
        (#"{"tenant_id":"acme","seats":3}"#, "text/plain", .unsupportedMediaType, "application/json"),
        (#"{"tenant_id":"acme","seats":3"#, "application/json", .badRequest, "invalid_json"),
        ("", "application/json", .badRequest, "empty"),
        (#"{"seats":3}"#, "application/json", .unprocessableContent, "tenant_id is required"),
        (#"{"tenant_id":"acme","seats":"three"}"#, "application/json", .unprocessableContent, "seats must be an integer"),
        (#"{"tenant_id":null,"seats":3}"#, "application/json", .unprocessableContent, "tenant_id must be a string, not null"),
        (#"{"tenant_id":"a","seats":1,"contacts":[{"email":5}]}"#, "application/json", .unprocessableContent, "contacts[0].email must be a string"),
        (#"{"tenant_id":"\#(String(repeating: "x", count: 300))","seats":1}"#, "application/json", .contentTooLarge, "256 bytes"),
    ])
    func jsonBodiesAreReadWithAClearErrorForEachFault(body: String, contentType: String, status: HTTPResponse.Status, text: String) async throws {
        try await makeApp(directory: directory()).test(.router) { client in
            try await client.execute(uri: "/tenants", method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body)) { response in
                #expect(response.status == status)
                #expect(String(buffer: response.body).contains(text), "\(String(buffer: response.body))")
            }
        }
    }

    @Test func invalidUTF8IsABadRequest() async throws {
        try await makeApp(directory: directory()).test(.router) { client in
            var buffer = ByteBuffer(string: #"{"tenant_id":""#)
            buffer.writeBytes([0xC3, 0x28])
            buffer.writeString(#"","seats":1}"#)
            try await client.execute(uri: "/tenants", method: .post, headers: [.contentType: "application/json"], body: buffer) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("UTF-8"))
            }
        }
    }
}

/// The per-replica bucket the rate limiter falls back to, on an injected clock.
@Suite struct LocalRateLimitTests {
    @Test func aBucketEmptiesThenRefillsAtItsRate() {
        let limiter = RateLimiter(cache: RedisCache(configuration: RedisConfiguration(port: 1), name: "unit", logger: Logger(label: "unit")))
        let limit = RateLimit(perSecond: 2, burst: 2)
        let start = ContinuousClock.now
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start) == .allowed)
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start) == .allowed)
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start) == .refused(retryAfterSeconds: 1))
        #expect(limiter.takeLocally(key: "other", limit: limit, now: start) == .allowed, "buckets are per key")
        // Half a second refills one token at 2/s, and no more than the burst ever.
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start + .milliseconds(500)) == .allowed)
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start + .milliseconds(500)) == .refused(retryAfterSeconds: 1))
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start + .seconds(60)) == .allowed)
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start + .seconds(60)) == .allowed)
        #expect(limiter.takeLocally(key: "k", limit: limit, now: start + .seconds(60)) == .refused(retryAfterSeconds: 1))
    }
}
