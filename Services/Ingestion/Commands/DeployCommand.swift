import IntelliCoreEvents
import IntelliCoreServiceKit

/// `POST /v1/commands/models/{model}/deploy`: move an alias to a version, optionally splitting
/// traffic with a canary and mirroring it to a shadow.
struct DeployCommand: ClosedJSONObject {
    struct Policy: ClosedJSONObject {
        struct Route: ClosedJSONObject {
            let version: Int
            let weight: Double
            static let fields: Set<String> = ["version", "weight"]
        }
        let routes: [Route]
        let shadowVersion: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case routes, shadowVersion = "shadow_version"
        }
        static let fields = fieldNames(CodingKeys.self)
    }

    let version: Int
    let alias: String?
    let trafficPolicy: Policy?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, alias, trafficPolicy = "traffic_policy"
    }
    static let fields = fieldNames(CodingKeys.self)

    /// The command, checked against the model's registered versions: every version it names must
    /// be registered and not retired, weights must be in (0, 1] and add up to 1, the deployed
    /// version must be one of the routes, and the shadow must not be.
    func validated(model: String, against catalog: CatalogModel, requestedBy: String) throws -> ModelDeployRequested {
        func requireActive(_ version: Int, field: String) throws {
            guard catalog.isActive(version) else {
                throw APIError.unprocessable("model \(model) has no active version \(version)", code: PredictionFailureCode.unknownVersion.rawValue,
                                             details: ["field": field])
            }
        }
        try requireActive(version, field: "version")
        let alias = try CommandText.name(alias ?? ModelAlias.champion, field: "alias")
        var policy: TrafficPolicy?
        if let trafficPolicy {
            guard !trafficPolicy.routes.isEmpty, trafficPolicy.routes.count <= 10 else {
                throw CommandText.invalid("traffic_policy.routes", "must hold 1 to 10 routes")
            }
            for (index, route) in trafficPolicy.routes.enumerated() {
                try requireActive(route.version, field: "traffic_policy.routes[\(index)].version")
                guard route.weight > 0, route.weight <= 1 else {
                    throw CommandText.invalid("traffic_policy.routes[\(index)].weight", "must be above 0 and at most 1")
                }
            }
            let versions = trafficPolicy.routes.map(\.version)
            guard Set(versions).count == versions.count else { throw CommandText.invalid("traffic_policy.routes", "must not repeat a version") }
            guard abs(trafficPolicy.routes.reduce(0) { $0 + $1.weight } - 1) < 1e-6 else {
                throw CommandText.invalid("traffic_policy.routes", "weights must add up to 1")
            }
            guard versions.contains(version) else { throw CommandText.invalid("traffic_policy.routes", "must include the deployed version \(version)") }
            if let shadow = trafficPolicy.shadowVersion {
                try requireActive(shadow, field: "traffic_policy.shadow_version")
                guard !versions.contains(shadow) else {
                    throw CommandText.invalid("traffic_policy.shadow_version", "must not be one of the routes' versions")
                }
            }
            policy = TrafficPolicy(routes: trafficPolicy.routes.map { .init(version: $0.version, weight: $0.weight) },
                                   shadowVersion: trafficPolicy.shadowVersion)
        }
        return ModelDeployRequested(modelName: model, version: version, alias: alias, trafficPolicy: policy, requestedBy: requestedBy)
    }
}
