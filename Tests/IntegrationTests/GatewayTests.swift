import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCoreNumerics
import Testing

/// The gateway's commands (validated, published and audited exactly once, idempotent, tenant-
/// isolated) and its synchronous OIP predictions over Kafka request-reply, against inference.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct GatewayTests {
    typealias HTTP = GatewayStack

    static func artifact(seed: UInt64) throws -> FeedForwardArtifact {
        var generator = SeededGenerator(seed: seed)
        return FeedForwardArtifact.randomMLP(widths: [4, 8, 2], using: &generator)
    }

    static func register(_ stack: GatewayStack, tenant: String, model: String, version: Int, seed: UInt64) async throws {
        try await stack.publish(ModelVersionRegistered(modelName: model, version: version, tenantId: tenant, algorithm: "mlp",
                                                       artifact: try ArtifactCodec.encode(try artifact(seed: seed)), metrics: [:], parameters: [:]),
                                key: model, tenant: tenant)
    }

    @Test func commandsAreValidatedPublishedAndAuditedExactlyOnce() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let suffix = UInt32.random(in: 0...UInt32.max)
        let (a, b) = ("acme-\(suffix)", "beta-\(suffix)")
        let keysA = try await stack.tenant(a), keysB = try await stack.tenant(b)
        let (developer, viewer) = (try #require(keysA["developer"]), try #require(keysA["viewer"]))
        let intruder = try #require(keysB["developer"])

        // The orchestrator's side, straight onto Kafka: A's churn v1 (champion) and v2; B's secret v1.
        try await Self.register(stack, tenant: a, model: "churn", version: 1, seed: 1)
        try await Self.register(stack, tenant: a, model: "churn", version: 2, seed: 2)
        try await Self.register(stack, tenant: b, model: "secret", version: 1, seed: 3)
        try await stack.publish(ModelDeployed(modelName: "churn", alias: "champion", version: 1, trafficPolicy: .single(1)), key: "churn", tenant: a)
        // The gateway applies these events one at a time, so a reader can see both versions
        // before the deployment that follows them: wait for each.
        #expect(try await eventually(timeout: .seconds(60)) {
            (await HTTP.http("GET", port: port, "/v2/models/churn", key: viewer).json["versions"] as? [String]) == ["1", "2"]
        })
        var readiness = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(60)) {
            readiness = await HTTP.http("GET", port: port, "/v2/models/churn/ready", key: viewer)
            return readiness.status == 200
        }, "the champion deployment never became visible: \(readiness.status) \(readiness.body)")
        let metadata = await HTTP.http("GET", port: port, "/v2/models/churn", key: viewer)
        #expect(metadata.body.contains(#""name":"input""#) && metadata.body.contains(#""shape":[-1,4]"#), "\(metadata.body)")
        #expect(await HTTP.http("GET", port: port, "/v2/models/churn/versions/2/ready", key: viewer).status == 200)
        #expect(await HTTP.http("GET", port: port, "/v2/models/churn/versions/7/ready", key: viewer).status == 404)
        #expect(await HTTP.http("GET", port: port, "/v2/models/secret", key: viewer).errorCode == "unknown_model", "B's model is invisible to A")

        // Training: accepted once under an Idempotency-Key, replayed, refused when the key is reused.
        let train = #"{"model_name":"churn","dataset_id":"ds-churn","algorithm":"mlp","target":"churned","hyperparameters":{"epochs":5,"hidden_layers":[8]}}"#
        let submitted = await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: developer, body: train, headers: ["Idempotency-Key": "k-1"])
        #expect(submitted.status == 202, "\(submitted.body)")
        let jobId = try #require(submitted.json["job_id"] as? String)
        let replay = await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: developer, body: train, headers: ["Idempotency-Key": "k-1"])
        #expect(replay.status == 202 && replay.body == submitted.body && replay.headers["idempotent-replayed"] == "true")
        let reused = await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: developer,
                                     body: train.replacingOccurrences(of: "\"epochs\":5", with: "\"epochs\":6"), headers: ["Idempotency-Key": "k-1"])
        #expect(reused.status == 422 && reused.errorCode == "idempotency_key_reused")
        // Bad commands: nothing published.
        #expect(await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: viewer, body: train).status == 403)
        #expect(await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: nil, body: train).status == 401)
        for (body, code) in [
            (train.replacingOccurrences(of: "\"mlp\"", with: "\"forest\""), "invalid_field"),
            (train.replacingOccurrences(of: "\"epochs\":5", with: "\"epochs\":0"), "invalid_field"),
            (train.replacingOccurrences(of: "\"epochs\":5", with: "\"epoch\":5"), "unknown_field"),
            (train.replacingOccurrences(of: "\"target\"", with: "\"targte\""), "unknown_field"),
            (#"{"model_name":"churn"}"#, "missing_field"),
            (#"{"model_name":7}"#, "invalid_field"),
            ("{not json", "invalid_json"),
        ] {
            let refused = await HTTP.http("POST", port: port, "/v1/commands/training-jobs", key: developer, body: body)
            #expect(refused.status / 100 == 4 && refused.errorCode == code, "\(body) → \(refused.status) \(refused.body)")
        }

        // Cancel: B cannot see A's job; A can; a finished job cannot be cancelled.
        #expect(await HTTP.http("POST", port: port, "/v1/commands/training-jobs/\(jobId)/cancel", key: intruder).status == 404)
        let cancelled = await HTTP.http("POST", port: port, "/v1/commands/training-jobs/\(jobId)/cancel", key: developer, body: #"{"reason":"wrong data"}"#)
        #expect(cancelled.status == 202 && cancelled.json["status"] as? String == "cancel_requested", "\(cancelled.body)")
        try await stack.publish(ModelTrainingCancelled(jobId: jobId, tenantId: a, modelName: "churn", reason: "wrong data"), key: jobId, tenant: a)
        #expect(try await eventually(timeout: .seconds(30)) {
            await HTTP.http("POST", port: port, "/v1/commands/training-jobs/\(jobId)/cancel", key: developer).errorCode == "job_finished"
        })

        // Deploy: a canary of v2 beside v1; unknown versions, bad weights, B's model and a viewer refused.
        let canary = #"{"version":2,"traffic_policy":{"routes":[{"version":1,"weight":0.9},{"version":2,"weight":0.1}]}}"#
        let deployed = await HTTP.http("POST", port: port, "/v1/commands/models/churn/deploy", key: developer, body: canary)
        #expect(deployed.status == 202 && deployed.json["alias"] as? String == "champion", "\(deployed.body)")
        for (path, body, key, status) in [
            ("churn", #"{"version":9}"#, developer, 422),
            ("churn", #"{"version":2,"traffic_policy":{"routes":[{"version":1,"weight":0.5},{"version":2,"weight":0.3}]}}"#, developer, 422),
            ("churn", #"{"version":2,"traffic_policy":{"routes":[{"version":2,"weight":1}],"shadow_version":2}}"#, developer, 422),
            ("churn", #"{"version":2,"trafic_policy":{}}"#, developer, 422),
            ("secret", #"{"version":1}"#, developer, 404),
            ("churn", #"{"version":2}"#, viewer, 403),
        ] {
            let refused = await HTTP.http("POST", port: port, "/v1/commands/models/\(path)/deploy", key: key, body: body)
            #expect(refused.status == status, "\(path) \(body) → \(refused.status) \(refused.body)")
        }

        // Rollback: nothing before v1; once champion moved to v2 (from 1), back to 1.
        #expect(await HTTP.http("POST", port: port, "/v1/commands/models/churn/rollback", key: developer).errorCode == "nothing_to_roll_back")
        try await stack.publish(ModelDeployed(modelName: "churn", alias: "champion", version: 2, previousVersion: 1, trafficPolicy: .single(2)),
                                key: "churn", tenant: a)
        var rolledBack = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(30)) {
            rolledBack = await HTTP.http("POST", port: port, "/v1/commands/models/churn/rollback", key: developer,
                                         body: #"{"reason":"canary errors"}"#, headers: ["Idempotency-Key": "rb-1"])
            return rolledBack.status == 202
        })
        #expect(rolledBack.json["to_version"] as? Int == 1, "\(rolledBack.body)")
        #expect(await HTTP.http("POST", port: port, "/v1/commands/models/churn/rollback", key: developer,
                                body: #"{"reason":"canary errors"}"#, headers: ["Idempotency-Key": "rb-1"]).body == rolledBack.body)

        // Exactly one command event and one audit record per accepted command, for A; none for B.
        let commands = try await env.readUntil(stack.topic(.trainingCommands), partitions: 2) { try $0.filter { try $0.cloudEvent().tenantId == a }.count >= 4 }
            .map { try $0.cloudEvent() }
        #expect(commands.filter { $0.tenantId == a }.map(\.type).sorted() == [
            ModelDeployRequested.eventType, ModelRollbackRequested.eventType, TrainingCancelRequested.eventType, TrainingRequested.eventType,
        ].sorted(), "\(commands.map(\.type))")
        #expect(commands.allSatisfy { $0.tenantId == a })
        let requested = try #require(commands.first { $0.type == TrainingRequested.eventType }).decode(as: TrainingRequested.self)
        #expect(requested.jobId == jobId && requested.tenantId == a && requested.priority == 5 && requested.hyperparameters["epochs"] == .number(5))
        let audit = try await env.readUntil(stack.topic(.audit), partitions: 2) { messages in
            let records = try messages.map { try $0.cloudEvent().decode(as: AuditRecorded.self) }.filter { $0.tenantId == a }
            return records.filter { !$0.action.hasPrefix("api_key") && $0.action != "tenant.create" }.count >= 4
                && records.filter { $0.action == "api_key.issue" }.count >= 3
        }.map { try $0.cloudEvent().decode(as: AuditRecorded.self) }
        let actions = audit.filter { $0.tenantId == a && !$0.action.hasPrefix("api_key") && $0.action != "tenant.create" }.map(\.action).sorted()
        #expect(actions == ["model.deploy", "model.rollback", "training.cancel", "training.submit"], "\(actions)")
        #expect(audit.filter { $0.tenantId == a && $0.action == "api_key.issue" }.count == 3)
        #expect(audit.allSatisfy { $0.outcome == "succeeded" })
        #expect(try await stack.stop())
    }

    @Test func synchronousPredictionsComeBackThroughRequestReply() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, environment: ["INGESTION_MAX_IN_FLIGHT": "4"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let inference = try #require(stack.processes["inference"])
        let port = stack.ingestionPort
        let suffix = UInt32.random(in: 0...UInt32.max)
        let (a, b) = ("acme-\(suffix)", "beta-\(suffix)")
        let keysA = try await stack.tenant(a), keysB = try await stack.tenant(b)
        let (developer, viewer) = (try #require(keysA["developer"]), try #require(keysA["viewer"]))
        let intruder = try #require(keysB["developer"])

        try await Self.register(stack, tenant: a, model: "churn", version: 1, seed: 11)
        try await stack.publish(ModelDeployed(modelName: "churn", alias: "champion", version: 1, trafficPolicy: .single(1)), key: "churn", tenant: a)
        #expect(try await eventually(timeout: .seconds(30)) {
            await HTTP.http("GET", port: port, "/v2/models/churn/ready", key: viewer).status == 200
        })
        #expect(await HTTP.http("GET", port: port, "/v2/health/live", key: nil).status == 200)
        #expect(await HTTP.http("GET", port: port, "/v2/health/ready", key: nil).json["ready"] as? Bool == true)

        let input: [Float] = [0.5, -1, 2, 0.25]
        let body = #"{"id":"sync-1","inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[0.5,-1,2,0.25]}]}"#
        // Inference applies the deployment from its own consumer: the first answers may still be not_deployed.
        var answer = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(30)) {
            answer = await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: developer, body: body)
            return answer.status == 200
        }, "\(answer.status) \(answer.body)")
        let expected = try input.withUnsafeBufferPointer { try FeedForwardNetwork(try Self.artifact(seed: 11)).predict($0, rows: 1, backend: OpenBLASBackend()) }
        let outputs = try #require((answer.json["outputs"] as? [[String: Any]])?.first)
        let data = try #require(outputs["data"] as? [Double])
        try #require(data.count == expected.count)
        #expect(zip(data, expected).allSatisfy { abs($0 - Double($1)) < 1e-5 }, "\(data) vs \(expected)")
        #expect(answer.json["id"] as? String == "sync-1" && answer.json["model_version"] as? String == "1")
        let pinned = await HTTP.http("POST", port: port, "/v2/models/churn/versions/1/infer", key: developer, body: body)
        #expect(pinned.status == 200 && pinned.json["model_version"] as? String == "1", "\(pinned.body)")

        // Refusals: before Kafka (auth, tenant, shape, JSON) and from inference (a width the model does not take).
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: nil, body: body).status == 401)
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: viewer, body: body).status == 403)
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: intruder, body: body).errorCode == "unknown_model")
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/versions/3/infer", key: developer, body: body).errorCode == "unknown_version")
        let badShape = body.replacingOccurrences(of: "[1,4]", with: "[2,4]")
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: developer, body: badShape).errorCode == "invalid_shape")
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: developer, body: "{\"inputs\":").status == 400)
        #expect(await HTTP.http("POST", port: port, "/v2/models/churn/infer?timeout_ms=0", key: developer, body: body).status == 400)
        let narrow = #"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#
        let fromInference = await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: developer, body: narrow)
        #expect(fromInference.status == 422 && fromInference.errorCode == "invalid_shape", "\(fromInference.body)")

        // Inference stopped: a deadline passes promptly as a 504; past the in-flight bound, 503.
        inference.signal(SIGSTOP)
        let clock = ContinuousClock()
        let started = clock.now
        let late = await HTTP.http("POST", port: port, "/v2/models/churn/infer?timeout_ms=300", key: developer, body: body)
        let waited = clock.now - started
        #expect(late.status == 504 && late.errorCode == "deadline_exceeded", "\(late.body)")
        #expect(waited >= .milliseconds(300) && waited < .seconds(5), "the 300 ms deadline answered after \(waited)")
        print("GatewayTests: a 300 ms deadline with inference stopped answered 504 after \(waited)")
        let waiting = (0..<4).map { index in
            Task { await HTTP.http("POST", port: port, "/v2/models/churn/infer", key: developer, body: body.replacingOccurrences(of: "sync-1", with: "held-\(index)"),
                                   headers: ["X-Timeout-Ms": "30000"]) }
        }
        #expect(try await eventually(timeout: .seconds(20)) {
            await HTTP.http("GET", port: port, "/metrics", key: nil).body.split(separator: "\n")
                .contains { $0.hasPrefix("intellicore_gateway_predictions_in_flight ") && Double($0.split(separator: " ").last ?? "") == 4 }
        }, "the four requests should be waiting")
        let overflow = await HTTP.http("POST", port: port, "/v2/models/churn/infer?timeout_ms=1000", key: developer, body: body)
        #expect(overflow.status == 503, "the fifth waiting request should be refused: \(overflow.status) \(overflow.body)")
        #expect(overflow.errorCode == "overloaded" && overflow.headers["retry-after"] == "1")
        inference.signal(SIGCONT)
        var held: [Int] = []
        for task in waiting { held.append(await task.value.status) }
        #expect(held == [200, 200, 200, 200], "the four held requests are answered once inference resumes: \(held)")
        #expect(try await stack.stop())
    }
}
