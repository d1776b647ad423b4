import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Inference
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCoreNumerics
import IntelliCoreOIP
import IntelliCoreServiceKit
import Testing

/// The inference executable end to end on the local stack: routing (alias, canary split,
/// stickiness, explicit version, shadow), cache hits, quotas, every bad input, and kill -9.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct InferenceServiceTests {
    final class Harness: @unchecked Sendable {
        let env: IntegrationEnvironment
        let prefix = "it\(UInt32.random(in: 0...UInt32.max))."
        let port: Int
        let model = "churn-\(UInt32.random(in: 0...UInt32.max))"
        let producer: KafkaProducer
        var process: ChildProcess?
        var results: [KafkaConsumerMessage] = []
        let resultsConsumer: KafkaConsumer

        init() async throws {
            port = try freePort()
            let env = try IntegrationEnvironment.load()
            let prefix = self.prefix
            try await env.admin().createTopics(Topic.allCases.map { KafkaTopicSpec(name: prefix + $0.rawValue, partitions: $0 == .predictionRequests ? 4 : 2) })
            self.env = env
            producer = try env.producer()
            resultsConsumer = try env.consumer(group: nil)
            try resultsConsumer.assign((0..<2).map { KafkaTopicPartition(topic: topic(.predictionResults), partition: Int32($0), offset: KafkaOffset.beginning) })
        }

        func topic(_ topic: Topic) -> String { prefix + topic.rawValue }

        func start(_ overrides: [String: String] = [:]) throws {
            var environment = ProcessInfo.processInfo.environment.merging(overrides) { $1 }
            environment["SERVICE_HTTP_PORT"] = String(port)
            environment["INTELLICORE_TOPIC_PREFIX"] = prefix
            environment["INFERENCE_MAX_REQUEST_BYTES"] = "4096"
            environment["LOG_LEVEL"] = "warning"
            process = try ChildProcess(executable: "\(env.binaries!)/inference", arguments: [], environment: environment,
                                       logPath: NSTemporaryDirectory() + "it-inference-\(port).log")
        }

        /// The tenant's API key, issued onto `intellicore.tenants` as ingestion would.
        static let apiKey = "it-key-acme"

        func issueKey() async throws {
            try await publish(TenantCreated(tenantId: "acme", name: "Acme", plan: "free"), topic: .tenants, key: "acme")
            try await publish(ApiKeyIssued(tenantId: "acme", keyId: "k-acme", keyHash: APIKeyAuthenticator.hash(Self.apiKey), role: .viewer),
                              topic: .tenants, key: "acme")
        }

        func get(_ path: String, apiKey: String? = Harness.apiKey) async -> (Int, String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
            guard let (data, response) = try? await URLSession.shared.data(for: request) else { return (0, "") }
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        func publish<Event: DomainEvent>(_ event: Event, topic: Topic, key: String, tenant: String? = "acme") async throws {
            try await producer.send(KafkaProducerMessage(event: try CloudEvent(event, source: "/it", subject: key, tenantId: tenant),
                                                         topic: self.topic(topic), key: key))
        }

        func request(_ id: String, key: String, inputs: [InferenceTensor], version: String? = nil, tenant: String = "acme",
                     model: String? = nil) throws -> KafkaProducerMessage {
            let event = PredictionRequested(id: id, modelName: model ?? self.model, modelVersion: version, inputs: inputs)
            return KafkaProducerMessage(event: try CloudEvent(event, source: "/it", subject: id, tenantId: tenant),
                                        topic: topic(.predictionRequests), key: key)
        }

        /// Reads results until `condition` holds on everything read so far.
        func awaitResults(timeout: Duration = .seconds(120), _ condition: ([KafkaConsumerMessage]) -> Bool) async throws -> Bool {
            try await eventually(timeout: timeout) {
                results += try await resultsConsumer.poll(maxMessages: 5000, timeout: .milliseconds(100))
                return condition(results)
            }
        }
    }

    struct Answer {
        let id: String
        let type: String
        let version: String?
        let shadow: Bool
        let code: String?
        let data: [Double]
    }

    /// The JSON answers among `messages` (protobuf answers are checked where they are asked for).
    static func answers(_ messages: [KafkaConsumerMessage]) throws -> [Answer] {
        try messages.filter { $0.headers.string(named: "content-type") == "application/json" }.map { message in
            let event = try message.cloudEvent()
            if event.type == PredictionCompleted.eventType {
                let completed = try event.decode(as: PredictionCompleted.self)
                guard case .numbers(let data) = completed.outputs[0].data else { throw SetupError("non-numeric output") }
                return Answer(id: completed.id, type: event.type, version: completed.modelVersion, shadow: completed.shadow ?? false, code: nil, data: data)
            }
            let failed = try event.decode(as: PredictionFailed.self)
            return Answer(id: failed.id, type: event.type, version: failed.modelVersion, shadow: failed.shadow ?? false, code: failed.code, data: [])
        }
    }

    static func features(_ values: [Float]) -> [InferenceTensor] {
        [InferenceTensor(name: "input", shape: [1, values.count], datatype: "FP32", data: .numbers(values.map(Double.init)))]
    }

    @Test func routingCacheQuotasBadInputsAndCrashRecovery() async throws {
        let h = try await Harness()
        try h.start()
        #expect(try await eventually(timeout: .seconds(60)) { await h.get("/health/ready").0 == 200 }, "inference not ready: \(h.process?.output.suffix(2000) ?? "")")
        try await h.issueKey()

        // Three versions of a 4-8-2 network; champion = 80% v1 / 20% v2, shadow v3.
        var networks: [Int: FeedForwardNetwork] = [:]
        for version in 1...3 {
            var generator = SeededGenerator(seed: UInt64(version))
            let artifact = FeedForwardArtifact.randomMLP(widths: [4, 8, 2], using: &generator)
            networks[version] = try FeedForwardNetwork(artifact)
            try await h.publish(ModelVersionRegistered(modelName: h.model, version: version, tenantId: "acme", algorithm: "mlp",
                                                       artifact: try ArtifactCodec.encode(artifact), metrics: [:], parameters: [:]),
                                topic: .models, key: h.model)
        }
        try await h.publish(ModelDeployed(modelName: h.model, alias: "champion", version: 1, trafficPolicy: TrafficPolicy(
            routes: [.init(version: 1, weight: 0.8), .init(version: 2, weight: 0.2)], shadowVersion: 3)), topic: .models, key: h.model)
        #expect(try await eventually(timeout: .seconds(60)) { await h.get("/v1/inference/models/\(h.model)/ready").0 == 200 })
        let metadata = await h.get("/v1/inference/models/\(h.model)")
        #expect(metadata.0 == 200 && metadata.1.contains("\"input\""))
        #expect(await h.get("/v1/inference/models/\(h.model)", apiKey: nil).0 == 401, "model metadata needs an API key")
        #expect(await h.get("/v1/inference/models/\(h.model)", apiKey: "not-a-key").0 == 401)

        // 10 000 requests from 10 000 entities.
        let total = 10_000
        func input(_ i: Int) -> [Float] { [Float(i % 7), Float(i % 5) / 5, 1, -Float(i % 3)] }
        let first = try (0..<total).map { try h.request("r\($0)", key: "entity-\($0)", inputs: Self.features(input($0))) }
        for result in try await h.producer.send(first) { _ = try result.get() }
        #expect(try await h.awaitResults { $0.count >= 2 * total })
        var answers = try Self.answers(h.results)
        let primary = Dictionary(grouping: answers.filter { !$0.shadow }, by: \.id)
        #expect(primary.count == total && primary.values.allSatisfy { $0.count == 1 }, "every request gets exactly one answer")
        let v2Share = Double(primary.values.filter { $0[0].version == "2" }.count) / Double(total)
        #expect(abs(v2Share - 0.2) < 0.02, "canary share \(v2Share)")
        let shadows = answers.filter(\.shadow)
        #expect(shadows.count == total && shadows.allSatisfy { $0.version == "3" })
        // Outputs match the network run locally.
        for i in stride(from: 0, to: total, by: 997) {
            let answer = primary["r\(i)"]![0]
            let expected = try input(i).withUnsafeBufferPointer { try networks[Int(answer.version!)!]!.predict($0, rows: 1, backend: OpenBLASBackend()) }
            #expect(zip(answer.data, expected).allSatisfy { abs($0 - Double($1)) < 1e-5 })
        }

        // Stickiness and the cache: the same entities with the same inputs again.
        let hitsBefore = await Self.cacheHits(h)
        h.results.removeAll()
        let again = try (0..<1000).map { try h.request("again\($0)", key: "entity-\($0)", inputs: Self.features(input($0))) }
        for result in try await h.producer.send(again) { _ = try result.get() }
        #expect(try await h.awaitResults { $0.count >= 2000 })
        answers = try Self.answers(h.results)
        for answer in answers where !answer.shadow {
            let index = Int(answer.id.dropFirst(5))!
            #expect(answer.version == primary["r\(index)"]![0].version, "entity-\(index) switched versions")
        }
        let hits = await Self.cacheHits(h) - hitsBefore
        // Writes are dropped while 8 are pending (Redis slow under a loaded machine): say how many,
        // so a shortfall tells a dropped write from a lookup that missed what was written.
        let skipped = await Self.metric("intellicore_inference_cache_writes_skipped_total", h)
        #expect(hits >= 1000, "repeated inputs should be served from Redis: \(Int(hits)) hits of 2000 lookups, \(Int(skipped)) batch writes skipped")

        // Per-entity order: 20 entities × 100 requests; each entity's answers arrive in request order.
        h.results.removeAll()
        let ordered = try (0..<2000).map { try h.request("order-\($0 % 20)-\($0 / 20)", key: "ordered-\($0 % 20)", inputs: Self.features(input($0))) }
        for result in try await h.producer.send(ordered) { _ = try result.get() }
        #expect(try await h.awaitResults { $0.count >= 4000 })
        let sequences = Dictionary(grouping: try Self.answers(h.results).filter { !$0.shadow }.map { answer in
            let parts = answer.id.split(separator: "-")
            return (entity: parts[1], sequence: Int(parts[2])!)
        }, by: \.entity)
        #expect(sequences.count == 20 && sequences.values.allSatisfy { $0.map(\.sequence) == Array(0..<100) },
                "an entity's answers are in the order of its requests")

        // Explicit version, quotas and every bad input.
        try await h.publish(ModelVersionRegistered(modelName: h.model + "-undeployed", version: 1, tenantId: "acme", algorithm: "mlp",
                                                   artifact: try ArtifactCodec.encode({ var g = SeededGenerator(seed: 9); return FeedForwardArtifact.randomMLP(widths: [4, 2], using: &g) }()),
                                                   metrics: [:], parameters: [:]), topic: .models, key: h.model)
        try await h.publish(QuotaExceeded(tenantId: "over", meter: "predictions", limit: 10, used: 11, periodStart: Date(), periodEnd: Date()),
                            topic: .billing, key: "over")
        // Model and quota events travel on other topics than requests: probe until both are applied.
        var probes = 0
        func probe(tenant: String = "acme", model: String? = nil) async throws -> Answer? {
            probes += 1
            let id = "probe-\(probes)"
            let request = try h.request(id, key: "probe", inputs: Self.features([1, 2, 3, 4]), tenant: tenant, model: model)
            for result in try await h.producer.send([request]) { _ = try result.get() }
            _ = try await h.awaitResults(timeout: .seconds(30)) { $0.contains { $0.headers.string(named: "ce_subject") == id } }
            return try Self.answers(h.results).first { $0.id == id && !$0.shadow }
        }
        #expect(try await eventually { try await probe(model: h.model + "-undeployed")?.code == "not_deployed" })
        #expect(try await eventually { try await probe(tenant: "over")?.code == "quota_exceeded" })
        h.results.removeAll()
        var bad = [
            try h.request("explicit", key: "e", inputs: Self.features([1, 2, 3, 4]), version: "2"),
            try h.request("quota", key: "q", inputs: Self.features([1, 2, 3, 4]), tenant: "over"),
            try h.request("shape", key: "s", inputs: [InferenceTensor(name: "input", shape: [1, 3], datatype: "FP32", data: .numbers([1, 2, 3]))]),
            try h.request("datatype", key: "d", inputs: [InferenceTensor(name: "input", shape: [1, 4], datatype: "BYTES", data: .strings(["a", "b", "c", "d"]))]),
            try h.request("unknown-model", key: "u", inputs: Self.features([1, 2, 3, 4]), model: "no-such-model"),
            try h.request("unknown-version", key: "v", inputs: Self.features([1, 2, 3, 4]), version: "42"),
            try h.request("undeployed", key: "n", inputs: Self.features([1, 2, 3, 4]), model: h.model + "-undeployed"),
            // Another tenant asking for acme's model gets the answer for a model that does not exist.
            try h.request("other-tenant", key: "g", inputs: Self.features([1, 2, 3, 4]), tenant: "globex"),
            // One entity: a failing request, then a good one; its answers keep that order.
            try h.request("mixed-1", key: "mixed", inputs: [InferenceTensor(name: "input", shape: [1, 3], datatype: "FP32", data: .numbers([1, 2, 3]))]),
            try h.request("mixed-2", key: "mixed", inputs: Self.features([1, 2, 3, 4])),
        ]
        var infinite = try h.request("infinite", key: "i", inputs: Self.features([1, 2, 3, 4]))
        infinite.value = Array(String(decoding: infinite.value!, as: UTF8.self).replacingOccurrences(of: "[1,2,3,4]", with: "[1,2,1e999,4]").utf8)
        var undecodable = try h.request("undecodable", key: "x", inputs: Self.features([1, 2, 3, 4]))
        undecodable.value = Array("{\"id\": \"undecodable\", \"inputs\": [".utf8)
        var oversized = try h.request("oversized", key: "o", inputs: Self.features([1, 2, 3, 4]))
        oversized.value! += Array(repeating: UInt8(ascii: " "), count: 5000)
        bad += [infinite, undecodable, oversized, KafkaProducerMessage(topic: h.topic(.predictionRequests), key: "junk", value: Array("junk".utf8))]
        // The same model asked in OIP protobuf, answered in protobuf.
        var protobuf = try h.request("protobuf", key: "p", inputs: Self.features([1, 2, 3, 4]))
        protobuf.value = Self.protobufRequest(id: "protobuf", model: h.model, values: [1, 2, 3, 4])
        protobuf.headers = protobuf.headers.map { $0.name == "content-type" ? KafkaHeader(name: "content-type", string: "application/x-protobuf") : $0 }
        bad.append(protobuf)
        for result in try await h.producer.send(bad) { _ = try result.get() }
        #expect(try await h.awaitResults(timeout: .seconds(60)) { $0.filter { $0.headers.string(named: "ce_type") != nil }.count >= 14 })
        let mixed = h.results.filter { $0.keyString == "mixed" && $0.headers.string(named: "ce_id")?.hasSuffix("/shadow") == false }
        #expect(mixed.compactMap { $0.headers.string(named: "ce_subject") } == ["mixed-1", "mixed-2"], "one entity's answers in request order")
        #expect(mixed.compactMap { $0.headers.string(named: "ce_type") } == [PredictionFailed.eventType, PredictionCompleted.eventType])
        let protobufAnswers = h.results.filter { $0.headers.string(named: "content-type") == "application/x-protobuf" }
        #expect(!protobufAnswers.isEmpty && protobufAnswers.allSatisfy { $0.headers.string(named: "ce_subject") == "protobuf" })
        h.results.removeAll { $0.headers.string(named: "content-type") == "application/x-protobuf" }
        let byId = Dictionary(grouping: try Self.answers(h.results).filter { !$0.shadow }, by: \.id)
        #expect(byId["explicit"]?.first?.version == "2" && byId["explicit"]?.first?.type == PredictionCompleted.eventType)
        let expectedCodes = ["quota": "quota_exceeded", "shape": "invalid_shape", "datatype": "invalid_datatype", "unknown-model": "unknown_model",
                             "unknown-version": "unknown_version", "undeployed": "not_deployed", "infinite": "non_finite_input",
                             "undecodable": "undecodable", "oversized": "payload_too_large", "other-tenant": "unknown_model",
                             "mixed-1": "invalid_shape"]
        for (id, code) in expectedCodes { #expect(byId[id]?.map(\.code) == [code], "\(id): \(byId[id]?.map(\.code) ?? [])") }
        let dead = try await h.env.readAll(h.topic(.deadLetter), partitions: 2, count: 1)
        #expect(dead.contains { $0.keyString == "junk" && $0.headers.string(named: DeadLetterHeader.service) == "inference" })
        try await h.publish(QuotaRestored(tenantId: "over", meter: "predictions", limit: 100, used: 11, periodStart: Date(), periodEnd: Date()),
                            topic: .billing, key: "over")

        // Quotas on and off for the model's own tenant: refused while exceeded, answered again once
        // restored. Quota events and requests travel on different topics, so probe until applied.
        try await h.publish(QuotaExceeded(tenantId: "acme", meter: "predictions", limit: 10, used: 11, periodStart: Date(), periodEnd: Date()),
                            topic: .billing, key: "acme")
        #expect(try await eventually { try await probe()?.code == "quota_exceeded" }, "QuotaExceeded never stopped acme's answers")
        try await h.publish(QuotaRestored(tenantId: "acme", meter: "predictions", limit: 100, used: 11, periodStart: Date(), periodEnd: Date()),
                            topic: .billing, key: "acme")
        #expect(try await eventually { try await probe()?.type == PredictionCompleted.eventType }, "QuotaRestored did not bring answers back")

        // kill -9 mid-burst: every request still gets an answer after a restart. The service is
        // frozen (SIGSTOP) once answers flow, so the count at the kill is exact: 0 < answered < N.
        h.results.removeAll()
        let burstSize = 5000
        let burst = try (0..<burstSize).map { try h.request("k\($0)", key: "entity-\($0)", inputs: Self.features([Float($0), 1, 2, 3])) }
        for result in try await h.producer.send(burst) { _ = try result.get() }
        _ = try await h.awaitResults(timeout: .seconds(30)) { $0.count >= 500 }
        h.process?.signal(SIGSTOP)
        func answeredBursts() -> Int { Set(h.results.compactMap { $0.headers.string(named: "ce_subject") }.filter { $0.hasPrefix("k") }).count }
        // Frozen: wait until the collector has read everything it answered (no change for 1 s).
        var seen = -1, stableSince = ContinuousClock.now
        _ = try await eventually {
            let now = answeredBursts()
            if now != seen { seen = now; stableSince = .now }
            return ContinuousClock.now - stableSince >= .seconds(1)
        }
        let answeredAtKill = answeredBursts()
        #expect(answeredAtKill > 0 && answeredAtKill < burstSize, "the kill must land mid-burst: \(answeredAtKill) of \(burstSize) answered")
        print("InferenceServiceTests: SIGKILL landed with \(answeredAtKill) of \(burstSize) requests answered")
        h.process?.signal(SIGKILL)
        _ = try await h.process?.waitForExit(timeout: .seconds(10))
        try h.start()
        #expect(try await h.awaitResults(timeout: .seconds(180)) { messages in
            Set(messages.compactMap { $0.headers.string(named: "ce_subject") }.filter { $0.hasPrefix("k") }).count >= burstSize
        }, "some requests were never answered after the crash")
        let recovered = try Self.answers(h.results).filter { !$0.shadow && $0.id.hasPrefix("k") }
        #expect(recovered.allSatisfy { $0.type == PredictionCompleted.eventType })
        // Redone answers carry the same ce_id, so consumers can dedupe them.
        let ids = h.results.compactMap { $0.headers.string(named: "ce_id") }
        #expect(Set(ids).count == Set(h.results.compactMap { m in m.headers.string(named: "ce_subject").map { $0 + (m.headers.string(named: "ce_id")?.hasSuffix("/shadow") == true ? "s" : "p") } }).count)
        h.process?.signal(SIGTERM)
        #expect(try await h.process?.waitForExit(timeout: .seconds(20)) == true)
        #expect(h.process?.exitedCleanly == true)
    }

    /// A `ModelInferRequest` with one `[1, n]` FP32 input, written with the service's own wire writer.
    static func protobufRequest(id: String, model: String, values: [Float]) -> [UInt8] {
        var contents = OIPProtobuf.Writer()
        contents.tag(6, 2)
        contents.varint(UInt64(values.count * 4))
        for value in values { contents.bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        var shape = OIPProtobuf.Writer()
        shape.varint(1)
        shape.varint(UInt64(values.count))
        var tensor = OIPProtobuf.Writer()
        tensor.string(1, "input"); tensor.string(2, "FP32"); tensor.message(3, shape.bytes); tensor.message(5, contents.bytes)
        var request = OIPProtobuf.Writer()
        request.string(1, model); request.string(3, id); request.message(5, tensor.bytes)
        return request.bytes
    }

    static func cacheHits(_ h: Harness) async -> Double {
        await metric("intellicore_cache_hits_total", h)
    }

    /// The sum of a Prometheus metric's samples on the service's `/metrics`.
    static func metric(_ name: String, _ h: Harness) async -> Double {
        let (_, body) = await h.get("/metrics")
        return body.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Redis killed while inference serves: every request is still answered, computed instead of
    /// cached, readiness stays up, and the failed cache reads and writes are counted.
    @Test func answersEveryRequestWhileRedisIsDown() async throws {
        let redis = try RedisCacheTests.RedisServer()
        let h = try await Harness()
        try h.start(["REDIS_PORT": String(redis.port)])
        #expect(try await eventually(timeout: .seconds(60)) { await h.get("/health/ready").0 == 200 }, "inference not ready: \(h.process?.output.suffix(2000) ?? "")")
        try await h.issueKey()
        var generator = SeededGenerator(seed: 11)
        let artifact = FeedForwardArtifact.randomMLP(widths: [4, 8, 2], using: &generator)
        try await h.publish(ModelVersionRegistered(modelName: h.model, version: 1, tenantId: "acme", algorithm: "mlp",
                                                   artifact: try ArtifactCodec.encode(artifact), metrics: [:], parameters: [:]),
                            topic: .models, key: h.model)
        try await h.publish(ModelDeployed(modelName: h.model, alias: "champion", version: 1,
                                          trafficPolicy: TrafficPolicy(routes: [.init(version: 1, weight: 1)])), topic: .models, key: h.model)
        #expect(try await eventually(timeout: .seconds(60)) { await h.get("/v1/inference/models/\(h.model)/ready").0 == 200 })
        #expect(await Self.metric("intellicore_cache_available", h) == 1, "the service uses this test's Redis")

        func send(_ ids: Range<Int>) async throws {
            let requests = try ids.map { try h.request("r\($0)", key: "e\($0)", inputs: Self.features([Float($0), 1, 2, 3])) }
            for result in try await h.producer.send(requests) { _ = try result.get() }
        }
        func answered(_ ids: Range<Int>) -> Bool {
            let wanted = Set(ids.map { "r\($0)" })
            return wanted.isSubset(of: Set(h.results.compactMap { $0.headers.string(named: "ce_subject") }))
        }
        try await send(0..<200)
        #expect(try await h.awaitResults(timeout: .seconds(60)) { _ in answered(0..<200) })

        try await redis.stop()
        let errorsBefore = await Self.metric("intellicore_cache_errors_total", h)
        try await send(200..<1200)
        #expect(try await h.awaitResults(timeout: .seconds(120)) { _ in answered(200..<1200) }, "requests went unanswered while Redis was down")
        let network = try FeedForwardNetwork(artifact)
        let answers = try Self.answers(h.results).filter { $0.id.hasPrefix("r") }
        #expect(answers.count == 1200 && answers.allSatisfy { $0.type == PredictionCompleted.eventType })
        // Answered by computing: each equals a local forward pass of its input.
        for answer in answers.prefix(50) {
            let index = try #require(Int(answer.id.dropFirst()))
            let local = try [Float(index), 1, 2, 3].withUnsafeBufferPointer { try network.predict($0, rows: 1, backend: OpenBLASBackend()) }
            try #require(answer.data.count == local.count)
            for (got, want) in zip(answer.data, local) { #expect(abs(got - Double(want)) < 1e-5) }
        }
        #expect(await h.get("/health/ready").0 == 200, "Redis is optional: readiness stays up")
        #expect(await Self.metric("intellicore_cache_errors_total", h) > errorsBefore, "failed cache round trips are counted")
        #expect(try await eventually { await Self.metric("intellicore_cache_available", h) == 0 }, "the cache reports itself unavailable")
        h.process?.signal(SIGTERM)
        #expect(try await h.process?.waitForExit(timeout: .seconds(20)) == true)
    }
}
