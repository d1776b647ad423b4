import IntelliCoreEvents

/// Stage 2: decoded requests → the versions that answer them, from one registry snapshot.
/// A request of a tenant over quota, or one that cannot be routed, gets its failure here.
enum RequestRouting {
    /// A request routed to its version, and to a shadow version that also answers.
    struct Route {
        let request: Int
        let primary: ModelVersionKey
        let shadow: ModelVersionKey?
    }

    static func route(_ requests: inout [PredictionRequest], bytes: RequestBytes, in snapshot: RegistrySnapshot) -> [Route] {
        var routes: [Route] = []
        routes.reserveCapacity(requests.count)
        for index in requests.indices where requests[index].failure == nil {
            guard let modelName = requests[index].model else { continue }
            let tenant = requests[index].tenant
            if snapshot.exceededTenants.contains(tenant) {
                requests[index].fail(.quotaExceeded, "tenant \(tenant) is over its prediction quota")
                continue
            }
            // The record key keeps an entity on one side of a canary split; a key that only
            // repeats the model name says nothing about the entity, so the request id decides.
            let sticky = requests[index].key.flatMap { bytes.equals($0, modelName) ? nil : $0 } ?? requests[index].id
            let fraction = bytes.withBytes(sticky) { TrafficRouter.fraction(of: $0) }
            let model = ModelKey(tenant: tenant, model: modelName)
            switch TrafficRouter.decide(model: model, version: requests[index].version, alias: requests[index].alias, stickyFraction: fraction,
                                        in: snapshot) {
            case .failure(let code, let message):
                requests[index].fail(code, message)
            case .route(let version, let shadow):
                routes.append(Route(request: index, primary: ModelVersionKey(model, version: version),
                                    shadow: shadow.map { ModelVersionKey(model, version: $0) }))
            }
        }
        return routes
    }

    /// Every version the routes need, each once (no per-request arrays: this runs per batch on
    /// the hot path).
    static func versions(of routes: [Route]) -> Set<ModelVersionKey> {
        var versions = Set<ModelVersionKey>()
        for route in routes {
            versions.insert(route.primary)
            if let shadow = route.shadow { versions.insert(shadow) }
        }
        return versions
    }
}
