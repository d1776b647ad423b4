import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Open Inference Protocol v2 model metadata and readiness, for the caller's tenant: another
/// tenant's model is answered exactly like one that does not exist.
enum ModelRoutes {
    struct Metadata: Encodable {
        struct Tensor: Encodable { let name: String; let datatype: String; let shape: [Int] }
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [Tensor]
        let outputs: [Tensor]
    }

    static func add(to api: RouterGroup<APIRequestContext>, registry: ModelRegistry, loader: ModelLoader) {
        api.get("/v2/models/:model") { _, context in
            let model = try Self.model(context)
            let snapshot = registry.snapshot
            guard let versions = snapshot.versions[model] else {
                throw APIError.notFound("model \(model.model) is not registered", code: PredictionFailureCode.unknownModel.rawValue)
            }
            let active = versions.filter { !$0.value.retired }.keys.sorted()
            let champion: Int? = snapshot.deployments[model]?[ModelAlias.champion]?.routes.first?.version
            guard let shown = champion ?? active.last else {
                throw APIError.notFound("model \(model.model) has no active version", code: PredictionFailureCode.unknownVersion.rawValue)
            }
            let network = try await loader.network(ModelVersionKey(model, version: shown))
            let body = Metadata(
                name: model.model, versions: active.map(String.init), platform: "intellicore",
                inputs: [.init(name: network.inputSchema.tensorName, datatype: "FP32", shape: [-1, network.rawInputWidth])]
                    + network.inputSchema.features.map { .init(name: $0.name, datatype: "FP32", shape: [-1]) },
                outputs: [.init(name: network.outputName, datatype: "FP32", shape: [-1, network.outputWidth])])
            return try JSONResponse.make(.ok, body)
        }
        api.get("/v2/models/:model/ready") { _, context in
            let model = try Self.model(context)
            guard let policy = registry.snapshot.deployments[model]?[ModelAlias.champion], !policy.routes.isEmpty else {
                throw APIError.notFound("model \(model.model) is not deployed", code: PredictionFailureCode.notDeployed.rawValue)
            }
            return try JSONResponse.make(.ok, ["name": model.model, "ready": "true"])
        }
        api.get("/v2/models/:model/versions/:version/ready") { _, context in
            let model = try Self.model(context), version = try context.parameters.require("version", as: Int.self)
            guard let info = registry.snapshot.versions[model]?[version], !info.retired else {
                throw APIError.notFound("model \(model.model) has no active version \(version)", code: PredictionFailureCode.unknownVersion.rawValue)
            }
            return try JSONResponse.make(.ok, ["name": model.model, "version": String(version), "ready": "true"])
        }
    }

    /// The caller's tenant and the model named in the path.
    static func model(_ context: APIRequestContext) throws -> ModelKey {
        let caller = try context.requireCaller(.viewer)
        return ModelKey(tenant: caller.tenantId, model: try context.parameters.require("model"))
    }
}
