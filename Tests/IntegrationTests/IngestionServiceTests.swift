import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import Testing

/// The ingestion executable's tenants and keys, with inference beside it on the same topics: a
/// key issued or revoked at the gateway takes effect on another service's API within seconds.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct IngestionServiceTests {
    static let adminKey = GatewayStack.adminKey

    static func http(_ method: String, port: Int, _ path: String, key: String?, body: String? = nil) async -> GatewayStack.HTTPAnswer {
        await GatewayStack.http(method, port: port, path, key: key, body: body)
    }

    @Test func tenantsAndKeysFromTheGatewayReachAnotherService() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let services = try await GatewayStack(env: env)
        let (gateway, inference) = (services.ingestionPort, services.inferencePort)
        for port in [gateway, inference] {
            #expect(try await eventually(timeout: .seconds(60)) { await Self.http("GET", port: port, "/health/ready", key: nil).status == 200 },
                    "not ready: \(services.logs)")
        }
        let tenant = "acme-\(UInt32.random(in: 0...UInt32.max))"
        let newTenant = #"{"tenant_id":"\#(tenant)","name":"Acme","plan":"free"}"#

        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: nil, body: newTenant).status == 401)
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: "wrong", body: newTenant).status == 401)
        let created = await Self.http("POST", port: gateway, "/v1/tenants", key: Self.adminKey, body: newTenant)
        #expect(created.status == 201, "\(created.body)")
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: Self.adminKey, body: newTenant).status == 409)
        let reserved = await Self.http("POST", port: gateway, "/v1/tenants", key: Self.adminKey, body: #"{"tenant_id":"platform","name":"x","plan":"free"}"#)
        #expect(reserved.status == 422 && reserved.body.contains("reserved"))
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: Self.adminKey, body: #"{"tenant_id":"Bad Id","name":"x","plan":"free"}"#).status == 422)
        #expect(await Self.http("POST", port: gateway, "/v1/tenants/\(tenant)/keys", key: Self.adminKey, body: #"{"role":"owner"}"#).status == 422)
        #expect(await Self.http("POST", port: gateway, "/v1/tenants/nobody-here/keys", key: Self.adminKey, body: #"{"role":"viewer"}"#).status == 404)

        // A developer key: shown once, usable on the gateway at once and on inference within seconds.
        let issued = await Self.http("POST", port: gateway, "/v1/tenants/\(tenant)/keys", key: Self.adminKey, body: #"{"role":"developer"}"#)
        try #require(issued.status == 201, "\(issued.body)")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(issued.body.utf8)) as? [String: Any])
        let key = try #require(fields["key"] as? String), keyId = try #require(fields["key_id"] as? String)
        #expect(key.hasPrefix("ic_") && key.count == 46 && fields["role"] as? String == "developer")
        let issuedAt = ContinuousClock.now
        // Authenticated on inference: an unknown model of the caller's tenant is a 404, not a 401.
        #expect(try await eventually(timeout: .seconds(30)) { await Self.http("GET", port: inference, "/v1/inference/models/none", key: key).status == 404 })
        let issueLatency = ContinuousClock.now - issuedAt
        // A developer is not an admin: no tenants, no keys.
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: key, body: #"{"tenant_id":"evil","name":"x","plan":"free"}"#).status == 403)
        #expect(await Self.http("POST", port: gateway, "/v1/tenants/\(tenant)/keys", key: key, body: #"{"role":"admin"}"#).status == 403)

        // A tenant admin manages its own keys and sees no other tenant.
        let adminIssued = await Self.http("POST", port: gateway, "/v1/tenants/\(tenant)/keys", key: Self.adminKey, body: #"{"role":"admin"}"#)
        let tenantAdmin = try #require((try JSONSerialization.jsonObject(with: Data(adminIssued.body.utf8)) as? [String: Any])?["key"] as? String)
        // A second key, once inference's consumers are settled: the steady-state figure.
        let secondIssuedAt = ContinuousClock.now
        #expect(try await eventually(timeout: .seconds(30)) { await Self.http("GET", port: inference, "/v1/inference/models/none", key: tenantAdmin).status == 404 })
        let secondIssueLatency = ContinuousClock.now - secondIssuedAt
        #expect(await Self.http("POST", port: gateway, "/v1/tenants/other-tenant/keys", key: tenantAdmin, body: #"{"role":"viewer"}"#).status == 404)
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: tenantAdmin, body: #"{"tenant_id":"x2","name":"x","plan":"free"}"#).status == 403)

        // Revoked by the tenant's admin: refused on the gateway at once, on inference within seconds.
        #expect(await Self.http("DELETE", port: gateway, "/v1/tenants/\(tenant)/keys/\(keyId)", key: tenantAdmin).status == 204)
        let revokedAt = ContinuousClock.now
        #expect(await Self.http("POST", port: gateway, "/v1/tenants/\(tenant)/keys", key: key, body: #"{"role":"viewer"}"#).status == 401)
        #expect(try await eventually(timeout: .seconds(30)) { await Self.http("GET", port: inference, "/v1/inference/models/none", key: key).status == 401 })
        let revokeLatency = ContinuousClock.now - revokedAt
        #expect(await Self.http("DELETE", port: gateway, "/v1/tenants/\(tenant)/keys/\(keyId)", key: tenantAdmin).status == 404)
        // Listed a page at a time: ids, roles and times, never a key or its hash.
        let first = await Self.http("GET", port: gateway, "/v1/tenants/\(tenant)/keys?limit=1", key: tenantAdmin)
        let firstPage = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any], "\(first.body)")
        let cursor = try #require(firstPage["next_cursor"] as? String, "a second page: \(first.body)")
        let second = await Self.http("GET", port: gateway, "/v1/tenants/\(tenant)/keys?limit=1&cursor=\(cursor)", key: tenantAdmin)
        let secondPage = try #require(try JSONSerialization.jsonObject(with: Data(second.body.utf8)) as? [String: Any], "\(second.body)")
        #expect(secondPage["next_cursor"] is NSNull, "two keys make two pages of one")
        let listed = ((firstPage["items"] as? [[String: Any]]) ?? []) + ((secondPage["items"] as? [[String: Any]]) ?? [])
        try #require(listed.count == 2)
        #expect(Set(listed.compactMap { $0["role"] as? String }) == ["developer", "admin"])
        #expect(listed.first { $0["key_id"] as? String == keyId }?["revoked_at"] is String, "the revoked key says when")
        #expect(!(first.body + second.body).contains("ic_") && !(first.body + second.body).contains("hash"))
        #expect(await Self.http("GET", port: gateway, "/v1/tenants/\(tenant)/keys?cursor=nonsense", key: tenantAdmin).status == 400)
        #expect(await Self.http("GET", port: gateway, "/v1/tenants/other-tenant/keys", key: tenantAdmin).status == 404)
        #expect(await Self.http("GET", port: gateway, "/v1/tenants/\(tenant)/keys", key: key).status == 401)

        print("IngestionServiceTests: a key issued at the gateway worked on inference after \(issueLatency) (the first, just after start) and \(secondIssueLatency) (the second); revoked, refused there after \(revokeLatency)")

        // The events on the tenants topic: one each, with the hash and never the key.
        let events = try await env.readUntil(services.prefix + Topic.tenants.rawValue, partitions: 2) { messages in
            try messages.filter { try $0.cloudEvent().tenantId == tenant }.count >= 4
        }.map { try $0.cloudEvent() }.filter { $0.tenantId == tenant }
        #expect(events.map(\.type).sorted() == [ApiKeyIssued.eventType, ApiKeyIssued.eventType, ApiKeyRevoked.eventType, TenantCreated.eventType])
        #expect(events.allSatisfy { !String(decoding: $0.data, as: UTF8.self).contains(key) })

        // A tenant on the `tiny` plan (burst 2, one request per 20 s): the third request at once is a 429.
        let small = "tiny-\(UInt32.random(in: 0...UInt32.max))"
        #expect(await Self.http("POST", port: gateway, "/v1/tenants", key: Self.adminKey,
                                body: #"{"tenant_id":"\#(small)","name":"Small","plan":"tiny"}"#).status == 201)
        let smallIssued = await Self.http("POST", port: gateway, "/v1/tenants/\(small)/keys", key: Self.adminKey, body: #"{"role":"admin"}"#)
        let smallKey = try #require((try JSONSerialization.jsonObject(with: Data(smallIssued.body.utf8)) as? [String: Any])?["key"] as? String)
        var statuses: [Int] = []
        var retryAfter: String?
        for _ in 0..<3 {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(gateway)/v1/tenants/\(small)/keys")!)
            request.setValue("Bearer \(smallKey)", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            statuses.append(http.statusCode)
            if http.statusCode == 429 {
                retryAfter = http.value(forHTTPHeaderField: "Retry-After")
                #expect(String(decoding: data, as: UTF8.self).contains("rate_limited"))
            }
        }
        #expect(statuses == [200, 200, 429], "\(statuses)")
        #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 && $0 <= 20 } == true, "Retry-After: \(retryAfter ?? "none")")

        #expect(try await services.stop())
    }
}
