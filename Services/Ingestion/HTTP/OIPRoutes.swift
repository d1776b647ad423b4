import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreServiceKit

/// The Open Inference Protocol v2 REST API of the platform: health, model metadata and readiness
/// from the gateway's catalog, and synchronous inference over Kafka (`SyncPredictor`).
struct OIPRoutes: Sendable {
    let catalog: ModelCatalog
    let predictor: SyncPredictor
    let health: HealthMonitor
    let timeouts: PredictTimeouts

    struct Metadata: Encodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [ModelSignature.Tensor]
        let outputs: [ModelSignature.Tensor]
    }

    /// OIP's own probes, beside the kit's `/health/*`; unauthenticated like them.
    func addHealth(to router: Router<APIRequestContext>) {
        router.get("/v2/health/live") { _, _ in try JSONResponse.make(.ok, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in
            let ready = health.isReady
            return try JSONResponse.make(ready ? .ok : .serviceUnavailable, ["ready": ready])
        }
    }

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("/v2/models/:model") { _, context in
            let (key, model) = try lookup(context)
            guard let version = model.servedVersion else {
                throw APIError.notFound("model \(key.model) has no active version", code: PredictionFailureCode.unknownVersion.rawValue)
            }
            return try JSONResponse.make(.ok, Self.metadata(key, model, version: version))
        }
        api.get("/v2/models/:model/versions/:version") { _, context in
            let (key, model) = try lookup(context)
            let version = try Self.activeVersion(context, of: key, model)
            return try JSONResponse.make(.ok, Self.metadata(key, model, version: version))
        }
        api.get("/v2/models/:model/ready") { _, context in
            let (key, model) = try lookup(context)
            guard let champion = model.deployments[ModelAlias.champion], champion.policy.routes.allSatisfy({ model.isActive($0.version) }) else {
                throw APIError.notFound("model \(key.model) is not deployed", code: PredictionFailureCode.notDeployed.rawValue)
            }
            return try JSONResponse.make(.ok, Readiness(name: key.model, version: nil, ready: true))
        }
        api.get("/v2/models/:model/versions/:version/ready") { _, context in
            let (key, model) = try lookup(context)
            let version = try Self.activeVersion(context, of: key, model)
            return try JSONResponse.make(.ok, Readiness(name: key.model, version: String(version), ready: true))
        }
        api.post("/v2/models/:model/infer") { request, context in
            try await infer(request, context, version: nil)
        }
        api.post("/v2/models/:model/versions/:version/infer") { request, context in
            try await infer(request, context, version: try context.parameters.require("version"))
        }
    }

    struct Readiness: Encodable {
        let name: String
        let version: String?
        let ready: Bool
    }

    private func infer(_ request: Request, _ context: APIRequestContext, version: String?) async throws -> Response {
        let caller = try context.requireCaller(.developer)
        let deadline = ContinuousClock.now + (try timeouts.timeout(of: request))
        let (key, model) = try lookup(context)
        if version != nil { _ = try Self.activeVersion(context, of: key, model) }
        let body = try await JSONRequestBody.decode(InferBody.self, from: request, context: context, limit: timeouts.maxBodyBytes)
        let prediction = try body.event(model: key.model, version: version)
        if version == nil {
            let alias = prediction.alias ?? ModelAlias.champion
            guard model.deployments[alias] != nil else {
                throw APIError.notFound("model \(key.model) has no deployment under alias \(alias)", code: PredictionFailureCode.notDeployed.rawValue)
            }
        }
        let outcome: SyncPredictor.Outcome
        do {
            outcome = try await predictor.predict(prediction, tenant: caller.tenantId, key: body.entity ?? key.model, deadline: deadline)
        } catch let refusal as SyncPredictor.Refusal {
            throw Self.apiError(refusal)
        }
        switch outcome {
        case .timedOut:
            throw APIError(.gatewayTimeout, code: "deadline_exceeded",
                           message: "no answer within the request's deadline; the prediction may still complete (id \(prediction.id))",
                           details: ["id": prediction.id])
        case .answered(let reply) where reply.type == PredictionCompleted.eventType:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        case .answered(let reply):
            let failed = try EventCodec.decode(PredictionFailed.self, from: reply.body)
            throw Self.apiError(failed)
        }
    }

    /// The caller's model named in the path, or the 404 another tenant's model gets too.
    private func lookup(_ context: APIRequestContext) throws -> (ModelKey, CatalogModel) {
        let caller = try context.requireCaller(.viewer)
        let key = ModelKey(tenant: caller.tenantId, model: try context.parameters.require("model"))
        guard let model = catalog.model(key) else {
            throw APIError.notFound("model \(key.model) does not exist", code: PredictionFailureCode.unknownModel.rawValue)
        }
        return (key, model)
    }

    private static func activeVersion(_ context: APIRequestContext, of key: ModelKey, _ model: CatalogModel) throws -> Int {
        let text = try context.parameters.require("version")
        guard let version = Int(text), model.isActive(version) else {
            throw APIError.notFound("model \(key.model) has no active version \(text)", code: PredictionFailureCode.unknownVersion.rawValue)
        }
        return version
    }

    private static func metadata(_ key: ModelKey, _ model: CatalogModel, version: Int) -> Metadata {
        let signature = model.versions[version]?.signature ?? ModelSignature(inputs: [], outputs: [])
        return Metadata(name: key.model, versions: model.activeVersions.map(String.init), platform: "intellicore",
                        inputs: signature.inputs, outputs: signature.outputs)
    }

    static func apiError(_ refusal: SyncPredictor.Refusal) -> APIError {
        switch refusal {
        case .full:
            APIError(.serviceUnavailable, code: "overloaded", message: "too many predictions are waiting for answers; retry shortly",
                     retryAfterSeconds: 1)
        case .noReplyPartition:
            APIError(.serviceUnavailable, code: "not_ready", message: "this gateway replica is not yet reading answers; retry shortly",
                     retryAfterSeconds: 1)
        case .notProduced(let error):
            APIError(.serviceUnavailable, code: "broker_unavailable", message: "the request could not be handed to Kafka: \(error)",
                     retryAfterSeconds: 1)
        }
    }

    /// The HTTP form of inference's `PredictionFailed`: the client's fault is a 4xx naming the code.
    static func apiError(_ failed: PredictionFailed) -> APIError {
        var details: [String: String] = ["id": failed.id]
        if let version = failed.modelVersion { details["model_version"] = version }
        guard let code = PredictionFailureCode(rawValue: failed.code) else {
            return APIError(.badGateway, code: failed.code, message: failed.message, details: details)
        }
        let status: HTTPResponse.Status
        var retryAfter: Int?
        switch code {
        case .payloadTooLarge: status = .contentTooLarge
        case .undecodable: status = .badRequest
        case .unknownModel, .unknownVersion, .notDeployed: status = .notFound
        case .quotaExceeded: status = .tooManyRequests
        case .invalidShape, .invalidDatatype, .nonFiniteInput, .missingInput, .unknownCategory: status = .unprocessableContent
        case .modelUnavailable:
            status = .serviceUnavailable
            retryAfter = 5
        case .computeFailed: status = .badGateway
        }
        return APIError(status, code: code.rawValue, message: failed.message, details: details, retryAfterSeconds: retryAfter)
    }
}
