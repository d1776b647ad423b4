import Foundation
import Hummingbird
import HummingbirdTesting
import IntelliCoreServiceKit
import Prometheus
import Testing

@Suite struct ServiceConfigurationTests {
    @Test func defaultsPointAtTheLocalDevStack() throws {
        let configuration = try ServiceConfiguration(service: "billing", defaultHTTPPort: 8085, environment: [:])
        #expect(configuration.httpPort == 8085)
        #expect(configuration.kafkaBootstrap == "127.0.0.1:19092")
        #expect(configuration.postgres.port == 19432)
        #expect(configuration.redis.port == 19379)
        #expect(configuration.topics[.billing] == "intellicore.billing")
        #expect(configuration.kafkaProperties.isEmpty)
    }

    @Test func environmentOverrides() throws {
        let configuration = try ServiceConfiguration(service: "billing", defaultHTTPPort: 8085, environment: [
            "SERVICE_HTTP_PORT": "9000", "KAFKA_BOOTSTRAP": "10.0.0.1:9092", "INTELLICORE_TOPIC_PREFIX": "stg.",
            "POSTGRES_PORT": "5433", "LOG_LEVEL": "DEBUG", "KAFKA_DEBUG": "cgrp,fetch",
        ])
        #expect(configuration.httpPort == 9000)
        #expect(configuration.topics[.billing] == "stg.intellicore.billing")
        #expect(configuration.postgres.port == 5433)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.kafkaProperties == ["debug": "cgrp,fetch"])
    }

    @Test(arguments: [("SERVICE_HTTP_PORT", "http"), ("POSTGRES_PORT", "70000"), ("LOG_LEVEL", "loud"),
                      ("KAFKA_BOOTSTRAP", "nohostport"), ("POSTGRES_MAX_CONNECTIONS", "0"),
                      ("KAFKA_DEBUG", "cgrp;rm -rf")])
    func badValuesNameTheVariable(variable: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: "x", defaultHTTPPort: 1, environment: [variable: value])
        }
        #expect(error?.variable == variable)
    }

    @Test func passwordsNeverAppearInErrors() {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: "x", defaultHTTPPort: 1, environment: ["POSTGRES_PASSWORD": "s3cret", "REDIS_PORT": "x"])
        }
        #expect(error.map { !"\($0)".contains("s3cret") } == true)
    }
}

@Suite struct HealthRoutesTests {
    func makeApp(health: HealthMonitor) -> some ApplicationProtocol {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        HealthRoutes.add(to: router, service: "test", health: health, registry: PrometheusCollectorRegistry())
        router.get("/fail") { _, _ -> String in throw CancellationError() }
        router.post("/decode") { request, context -> String in
            struct Body: Decodable { let n: Int }
            return String(try await request.decode(as: Body.self, context: context).n)
        }
        return Application(router: router)
    }

    @Test func readinessFollowsRequiredChecks() async throws {
        let health = HealthMonitor(required: ["kafka"])
        try await makeApp(health: health).test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("\"not_ready\""))
            }
            health.update("kafka", ok: true)
            health.update("redis", ok: false, required: false)
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"redis\""))
            }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func errorsAreJSONWithTheRightStatus() async throws {
        try await makeApp(health: HealthMonitor(required: [])).test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"error":{"code":"not_found","message":"Not Found"}}"#
                    || String(buffer: response.body).contains(#""code":"not_found""#))
            }
            try await client.execute(uri: "/decode", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: "{\"n\": \"x\"}")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""error""#))
            }
            try await client.execute(uri: "/fail", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(String(buffer: response.body).contains(#""code":"internal""#))
            }
        }
    }
}
