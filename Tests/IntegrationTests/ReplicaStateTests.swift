import Foundation
import IntelliCoreEvents
import Testing

/// Two replicas each of the gateway and of inference. Their consumers share one group, so each
/// replica consumes only its share of a topic's partitions; state every replica must hold whole
/// (API keys, the gateway's model catalog, inference's routing) must still reach all of them:
/// the replica that consumed an event notifies the others through PostgreSQL.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ReplicaStateTests {
    typealias HTTP = GatewayStack

    @Test func keysAndDeploymentsReachEveryReplica() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        var stack = try await GatewayStack(env: env, services: ["ingestion", "inference"])
        try stack.startReplica("ingestion", as: "ingestion-2")
        try stack.startReplica("inference", as: "inference-2")
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let gateways = [stack.ingestionPort, try #require(stack.replicaPorts["ingestion-2"])]
        let inferences = [stack.inferencePort, try #require(stack.replicaPorts["inference-2"])]
        for port in gateways + inferences {
            #expect(try await eventually(timeout: .seconds(60)) { await HTTP.http("GET", port: port, "/health/ready", key: nil).status == 200 })
        }

        // Six tenants: their events spread over both partitions of the tenants topic, so each
        // replica consumes some and must learn the rest from the others.
        let suffix = UInt32.random(in: 0...UInt32.max)
        var viewers: [(tenant: String, key: String, keyId: String)] = []
        for index in 0..<6 {
            let tenant = "replica-\(index)-\(suffix)"
            let keys = try await stack.tenant(tenant)
            viewers.append((tenant, try #require(keys["viewer"]), try #require(keys["viewer_id"])))
        }
        let issuedAt = ContinuousClock.now
        for viewer in viewers {
            for port in gateways {
                var answer = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
                #expect(try await eventually(timeout: .seconds(30)) {
                    answer = await HTTP.http("GET", port: port, "/v1/datasets", key: viewer.key)
                    return answer.status == 200
                }, "gateway :\(port) does not know \(viewer.tenant)'s key: \(answer.status) \(answer.body)")
            }
            for port in inferences {
                #expect(try await eventually(timeout: .seconds(30)) {
                    await HTTP.http("GET", port: port, "/v1/inference/models/none", key: viewer.key).status == 404
                }, "inference :\(port) does not know \(viewer.tenant)'s key")
            }
        }
        print("ReplicaStateTests: 6 tenants' keys known to all 4 replicas after \(ContinuousClock.now - issuedAt)")

        // A model of each tenant, deployed: every replica's catalog and router see it.
        for (index, viewer) in viewers.enumerated() {
            try await GatewayTests.register(stack, tenant: viewer.tenant, model: "churn", version: 1, seed: UInt64(index + 1))
            try await stack.publish(ModelDeployed(modelName: "churn", alias: "champion", version: 1, trafficPolicy: .single(1)), key: "churn", tenant: viewer.tenant)
        }
        for viewer in viewers {
            for port in gateways {
                var answer = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
                #expect(try await eventually(timeout: .seconds(30)) {
                    answer = await HTTP.http("GET", port: port, "/v2/models/churn/ready", key: viewer.key)
                    return answer.status == 200
                }, "gateway :\(port) does not route \(viewer.tenant)'s deployment: \(answer.status) \(answer.body)")
            }
            for port in inferences {
                #expect(try await eventually(timeout: .seconds(30)) {
                    await HTTP.http("GET", port: port, "/v1/inference/models/churn/ready", key: viewer.key).status == 200
                }, "inference :\(port) does not route \(viewer.tenant)'s deployment")
            }
        }

        // Revoked through one gateway: refused by all four within seconds.
        let admin = GatewayStack.adminKey
        for viewer in viewers {
            #expect(await HTTP.http("DELETE", port: gateways[0], "/v1/tenants/\(viewer.tenant)/keys/\(viewer.keyId)", key: admin).status == 204)
        }
        let revokedAt = ContinuousClock.now
        for viewer in viewers {
            for port in gateways + inferences {
                let path = inferences.contains(port) ? "/v1/inference/models/none" : "/v1/datasets"
                #expect(try await eventually(timeout: .seconds(30)) { await HTTP.http("GET", port: port, path, key: viewer.key).status == 401 },
                        ":\(port) still accepts \(viewer.tenant)'s revoked key")
            }
        }
        print("ReplicaStateTests: revoked keys refused by all 4 replicas after \(ContinuousClock.now - revokedAt)")
        #expect(try await stack.stop())
    }
}
