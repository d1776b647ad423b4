import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreServiceKit

/// Model metadata and readiness as this inference replica sees them, in Open Inference Protocol
/// v2 form, for the caller's tenant: another tenant's model is answered exactly like one that does
/// not exist. Under `/v1/inference/`: the public `/v2/` paths belong to the ingestion gateway, so
/// that one ingress can front every service.
enum ModelRoutes {
    struct Metadata: Encodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [ModelSignature.Tensor]
        let outputs: [ModelSignature.Tensor]
    }

    static func add(to api: RouterGroup<APIRequestContext>, registry: ModelRegistry, loader: ModelLoader) {
        api.get("/v1/inference/models/:model") { _, context in
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
            let signature = try await loader.network(ModelVersionKey(model, version: shown)).signature
            let body = Metadata(name: model.model, versions: active.map(String.init), platform: "intellicore",
                                inputs: signature.inputs, outputs: signature.outputs)
            return try JSONResponse.make(.ok, body)
        }
        api.get("/v1/inference/models/:model/ready") { _, context in
            let model = try Self.model(context)
            guard let policy = registry.snapshot.deployments[model]?[ModelAlias.champion], !policy.routes.isEmpty else {
                throw APIError.notFound("model \(model.model) is not deployed", code: PredictionFailureCode.notDeployed.rawValue)
            }
            return try JSONResponse.make(.ok, ["name": model.model, "ready": "true"])
        }
        api.get("/v1/inference/models/:model/versions/:version/ready") { _, context in
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
