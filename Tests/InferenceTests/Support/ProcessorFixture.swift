import Foundation
@testable import Inference
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import Logging

/// A `PredictionProcessor` over in-memory fakes: tenants `acme` and `other` each own a model
/// called `churn` (two features: `age`, standardized, and `plan`, one-hot of free/pro), acme's
/// champion v1 is shadowed by v2, and acme's `ghost` v1 is registered without a stored artifact.
struct ProcessorFixture {
    static let acmeChurn = ModelKey(tenant: "acme", model: "churn")
    static let otherChurn = ModelKey(tenant: "other", model: "churn")
    static let ghost = ModelKey(tenant: "acme", model: "ghost")
    /// The replies topic the processor honours.
    static let replyTopic = "replies"

    let registry = ModelRegistry()
    let cache = InMemoryResultCache()
    let artifacts: InMemoryArtifactStore
    let backend: CountingBackend
    let processor: PredictionProcessor

    init(maxRequestBytes: Int = 1 << 20, failingBackend: Bool = false, cacheTTLSeconds: Int = 300) throws {
        func artifact(_ weights: [Float], bias: [Float]) throws -> [UInt8] {
            try EventCodec.encode(FeedForwardArtifact(
                inputSchema: InputSchema(tensorName: "input", features: [
                    FeatureSpec(name: "age", preprocessing: .standardize(mean: 10, standardDeviation: 2)),
                    FeatureSpec(name: "plan", preprocessing: .oneHot(categories: ["free", "pro"])),
                ]),
                layers: [DenseLayerSpec(inputs: 3, outputs: 2, activation: .relu, weights: weights, bias: bias)],
                outputName: "scores"))
        }
        artifacts = InMemoryArtifactStore([
            ModelVersionKey(Self.acmeChurn, version: 1): try artifact([1, 0, 0, 0, 1, -1], bias: [0.5, 0]),
            ModelVersionKey(Self.acmeChurn, version: 2): try artifact([2, 0, 0, 0, 1, -1], bias: [0.5, 0]),
            ModelVersionKey(Self.otherChurn, version: 1): try artifact([0, 0, 1, 1, 0, 0], bias: [0, 0]),
        ])
        for key in [ModelVersionKey(Self.acmeChurn, version: 1), ModelVersionKey(Self.acmeChurn, version: 2),
                    ModelVersionKey(Self.otherChurn, version: 1), ModelVersionKey(Self.ghost, version: 1)] {
            registry.registerVersion(key)
        }
        registry.deploy(Self.acmeChurn, alias: ModelAlias.champion,
                        policy: TrafficPolicy(routes: [.init(version: 1, weight: 1)], shadowVersion: 2))
        registry.deploy(Self.otherChurn, alias: ModelAlias.champion, policy: TrafficPolicy(routes: [.init(version: 1, weight: 1)]))
        registry.deploy(Self.ghost, alias: ModelAlias.champion, policy: TrafficPolicy(routes: [.init(version: 1, weight: 1)]))
        backend = CountingBackend(failing: failingBackend)
        let metrics = InferenceMetrics()
        let logger = Logger(label: "test")
        processor = PredictionProcessor(
            registry: registry,
            decoder: RequestDecoder(maxRequestBytes: maxRequestBytes, replyTopic: Self.replyTopic),
            loader: ModelLoader(models: LoadedModelCache(budgetBytes: 1 << 20), store: artifacts),
            cache: CachedResults(cache: cache, ttlSeconds: cacheTTLSeconds, metrics: metrics),
            compute: BatchCompute(backend: backend, metrics: metrics, logger: logger),
            encoder: AnswerEncoder(resultsTopic: "results", source: "/intellicore/inference", metrics: metrics),
            metrics: metrics)
    }

    /// An OIP v2 JSON body with one tensor per feature.
    static func body(id: String, model: String = "churn", version: String? = nil, alias: String? = nil,
                     age: String = "14", plan: String = #""pro""#, planType: String = "BYTES", extraInputs: String = "") -> String {
        let version = version.map { #","model_version":"\#($0)""# } ?? ""
        let alias = alias.map { #","alias":"\#($0)""# } ?? ""
        return #"{"id":"\#(id)","model_name":"\#(model)"\#(version)\#(alias),"inputs":["#
            + #"{"name":"age","shape":[1],"datatype":"FP32","data":[\#(age)]},"#
            + #"{"name":"plan","shape":[1],"datatype":"\#(planType)","data":[\#(plan)]}\#(extraInputs)]}"#
    }

    /// A binary-mode `PredictionRequested` record; `without` drops headers, `replacing` sets them.
    static func record(_ body: String, offset: Int64, tenant: String? = "acme", key: String? = nil,
                       type: String = PredictionRequested.eventType, without: Set<String> = [],
                       replacing: [String: String] = [:], extraHeaders: [KafkaHeader] = []) -> KafkaConsumerMessage {
        var headers: [(String, String)] = [
            (CloudEventHeader.specVersion, CloudEvent.specVersion), (CloudEventHeader.id, "event-\(offset)"),
            (CloudEventHeader.source, "/tests"), (CloudEventHeader.type, type),
            (CloudEventHeader.time, EventCodec.formatTime(Date())), (CloudEventHeader.contentType, CloudEvent.jsonContentType),
        ]
        if let tenant { headers.append((CloudEventHeader.tenantId, tenant)) }
        headers = headers.filter { !without.contains($0.0) }.map { ($0.0, replacing[$0.0] ?? $0.1) }
        return KafkaConsumerMessage(topic: "requests", partition: 0, offset: offset, key: key.map { Array($0.utf8) },
                                    value: Array(body.utf8), headers: headers.map { KafkaHeader(name: $0.0, string: $0.1) } + extraHeaders)
    }

    func process(_ messages: [KafkaConsumerMessage]) async -> PredictionProcessor.Output {
        await processor.process(messages, positions: messages.indices)
    }
}

/// One answer record, read back.
struct Answer {
    let message: KafkaProducerMessage
    var type: String { header(CloudEventHeader.type) ?? "" }
    var eventId: String { header(CloudEventHeader.id) ?? "" }
    var key: String? { message.key.map { String(decoding: $0, as: UTF8.self) } }

    init(_ message: KafkaProducerMessage) {
        self.message = message
    }

    func header(_ name: String) -> String? {
        message.headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    func completed() throws -> PredictionCompleted { try EventCodec.decode(PredictionCompleted.self, from: message.value ?? []) }
    func failed() throws -> PredictionFailed { try EventCodec.decode(PredictionFailed.self, from: message.value ?? []) }

    /// The outputs of a completed JSON answer.
    func outputs() throws -> [Double] {
        guard case .numbers(let values) = try completed().outputs.first?.data else { return [] }
        return values
    }
}

extension PredictionProcessor.Output {
    /// The answer records as owned messages, in the order they are produced.
    var results: [KafkaProducerMessage] { answers.messages }
}
