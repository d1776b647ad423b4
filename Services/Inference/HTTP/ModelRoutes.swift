import Foundation
import Hummingbird
import IntelliCoreServiceKit

/// Open Inference Protocol v2 model metadata and readiness.
enum ModelRoutes {
    struct Metadata: Encodable {
        struct Tensor: Encodable { let name: String; let datatype: String; let shape: [Int] }
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [Tensor]
        let outputs: [Tensor]
    }

    static func add(to router: Router<BasicRequestContext>, registry: ModelRegistry, processor: PredictionProcessor) {
        router.get("/v2/models/:model") { _, request in
            let model = try request.parameters.require("model")
            let snapshot = registry.snapshot
            guard let versions = snapshot.versions[model] else { throw APIError.notFound("model \(model) is not registered", code: "unknown_model") }
            let active = versions.filter { !$0.value.retired }.keys.sorted()
            let champion: Int? = snapshot.deployments[model]?["champion"]?.routes.first?.version
            guard let shown = champion ?? active.last else { throw APIError.notFound("model \(model) has no active version", code: "unknown_version") }
            let network = try await processor.load(ModelVersionKey(model: model, version: shown))
            let body = Metadata(
                name: model, versions: active.map(String.init), platform: "intellicore",
                inputs: [.init(name: network.inputSchema.tensorName, datatype: "FP32", shape: [-1, network.rawInputWidth])]
                    + network.inputSchema.features.map { .init(name: $0.name, datatype: "FP32", shape: [-1]) },
                outputs: [.init(name: network.outputName, datatype: "FP32", shape: [-1, network.outputWidth])])
            return try JSONResponse.make(.ok, body)
        }
        router.get("/v2/models/:model/ready") { _, request in
            let model = try request.parameters.require("model")
            guard let policy = registry.snapshot.deployments[model]?["champion"], !policy.routes.isEmpty else {
                throw APIError.notFound("model \(model) is not deployed", code: "not_deployed")
            }
            return try JSONResponse.make(.ok, ["name": model, "ready": "true"])
        }
        router.get("/v2/models/:model/versions/:version/ready") { _, request in
            let model = try request.parameters.require("model"), version = try request.parameters.require("version", as: Int.self)
            guard let info = registry.snapshot.versions[model]?[version], !info.retired else {
                throw APIError.notFound("model \(model) has no active version \(version)", code: "unknown_version")
            }
            return try JSONResponse.make(.ok, ["name": model, "version": String(version), "ready": "true"])
        }
    }
}
