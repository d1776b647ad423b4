import IntelliCoreEvents

/// Picks the version that answers a request, and the shadow that also does.
enum TrafficRouter {
    enum Decision: Equatable {
        case route(version: Int, shadow: Int?)
        case failure(code: PredictionFailureCode, message: String)
    }

    /// - Parameter stickyKey: the caller's entity key (the record key, or the request id), so one
    ///   entity always lands on the same side of a canary split.
    /// - Parameter model: the caller's tenant and the model name: another tenant's model of the
    ///   same name is invisible, answered exactly like a model that does not exist.
    static func decide(model key: ModelKey, version: String?, alias: String?, stickyKey: String, in registry: RegistrySnapshot) -> Decision {
        decide(model: key, version: version, alias: alias, stickyFraction: fraction(of: stickyKey), in: registry)
    }

    /// The same with the sticky key's position already taken (`fraction(of:)`).
    static func decide(model key: ModelKey, version: String?, alias: String?, stickyFraction: Double, in registry: RegistrySnapshot) -> Decision {
        let model = key.model
        guard let versions = registry.versions[key] else {
            return .failure(code: .unknownModel, message: "model \(model) is not registered")
        }
        if let version {
            guard let number = Int(version), let info = versions[number], !info.retired else {
                return .failure(code: .unknownVersion, message: "model \(model) has no active version \(version)")
            }
            return .route(version: number, shadow: nil)
        }
        let alias = alias ?? ModelAlias.champion
        guard let policy = registry.deployments[key]?[alias], !policy.routes.isEmpty else {
            return .failure(code: .notDeployed, message: "model \(model) has no deployment for alias \(alias)")
        }
        let chosen = pick(policy.routes, fraction: stickyFraction)
        guard versions[chosen].map({ !$0.retired }) ?? false else {
            return .failure(code: .unknownVersion, message: "alias \(alias) of \(model) points at unavailable version \(chosen)")
        }
        let shadow = policy.shadowVersion.flatMap { versions[$0].map { !$0.retired } ?? false ? $0 : nil }
        return .route(version: chosen, shadow: shadow == chosen ? nil : shadow)
    }

    static func pick(_ routes: [TrafficPolicy.Route], fraction: Double) -> Int {
        let total = routes.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return routes[0].version }
        var cumulative = 0.0
        for route in routes {
            cumulative += max(0, route.weight) / total
            if fraction < cumulative { return route.version }
        }
        return routes[routes.count - 1].version
    }

    /// A stable position in [0, 1) for a key (FNV-1a, 64 bit, then a finalising mix).
    static func fraction(of key: String) -> Double {
        fraction(of: key.utf8)
    }

    static func fraction(of bytes: some Sequence<UInt8>) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return Double(hash >> 11) / Double(1 << 53)
    }
}
