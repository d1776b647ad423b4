import Foundation
import Hummingbird
import IntelliCoreServiceKit
import Synchronization

/// Open Inference Protocol v2 model metadata and readiness.
enum ModelRoutes {
    /// Set once the pipeline exists; routes answer 503 until then.
    final class Holder: Sendable {
        private let value = Mutex<(ModelRegistry, PredictionProcessor)?>(nil)
        func set(_ registry: ModelRegistry, _ processor: PredictionProcessor) { value.withLock { $0 = (registry, processor) } }
        var current: (ModelRegistry, PredictionProcessor)? { value.withLock { $0 } }
    }

    static let registry = Holder()

    struct Metadata: Encodable {
        struct Tensor: Encodable { let name: String; let datatype: String; let shape: [Int] }
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [Tensor]
        let outputs: [Tensor]
    }

    static func add(to router: Router<BasicRequestContext>, context: ServiceContext) {
        router.get("/v2/models/:model") { _, request in
            let model = try request.parameters.require("model")
            guard let (registry, processor) = Self.registry.current else { throw APIError(.serviceUnavailable, code: "starting", message: "starting") }
            let snapshot = registry.snapshot
            guard let versions = snapshot.versions[model] else { throw APIError.notFound("model \(model) is not registered", code: "unknown_model") }
            let active = versions.filter { !$0.value.retired }.keys.sorted()
            let champion: Int? = snapshot.deployments[model]?["champion"]?.routes.first?.version
            guard let shown = champion ?? active.last else { throw APIError.notFound("model \(model) has no active version", code: "unknown_version") }
            let network = try await processor.load(model: model, version: shown)
            let body = Metadata(
                name: model, versions: active.map(String.init), platform: "intellicore",
                inputs: [.init(name: network.inputSchema.tensorName, datatype: "FP32", shape: [-1, network.rawInputWidth])]
                    + network.inputSchema.features.map { .init(name: $0.name, datatype: "FP32", shape: [-1]) },
                outputs: [.init(name: network.outputName, datatype: "FP32", shape: [-1, network.outputWidth])])
            return try jsonResponse(body)
        }
        router.get("/v2/models/:model/ready") { _, request in
            let model = try request.parameters.require("model")
            guard let (registry, _) = Self.registry.current,
                  let policy = registry.snapshot.deployments[model]?["champion"], !policy.routes.isEmpty else {
                throw APIError.notFound("model \(model) is not deployed", code: "not_deployed")
            }
            return try jsonResponse(["name": model, "ready": "true"])
        }
        router.get("/v2/models/:model/versions/:version/ready") { _, request in
            let model = try request.parameters.require("model"), version = try request.parameters.require("version", as: Int.self)
            guard let (registry, _) = Self.registry.current, let info = registry.snapshot.versions[model]?[version], !info.retired else {
                throw APIError.notFound("model \(model) has no active version \(version)", code: "unknown_version")
            }
            return try jsonResponse(["name": model, "version": String(version), "ready": "true"])
        }
    }

    static func jsonResponse(_ value: some Encodable) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
