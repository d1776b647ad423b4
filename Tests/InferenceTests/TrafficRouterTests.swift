@testable import Inference
import IntelliCoreEvents
import Testing

@Suite struct TrafficRouterTests {
    @Test func canarySplitIsWeightedAndSticky() {
        var registry = RegistrySnapshot()
        let m = ModelKey(tenant: "t", model: "m")
        registry.versions[m] = [1: VersionInfo(retired: false), 2: VersionInfo(retired: false), 3: VersionInfo(retired: false)]
        registry.deployments[m] = [ModelAlias.champion: TrafficPolicy(routes: [.init(version: 1, weight: 0.9), .init(version: 2, weight: 0.1)], shadowVersion: 3)]
        var counts: [Int: Int] = [:]
        for entity in 0..<20_000 {
            guard case .route(let version, let shadow) = TrafficRouter.decide(model: m, version: nil, alias: nil, stickyKey: "e\(entity)", in: registry) else {
                Issue.record("no route"); return
            }
            #expect(shadow == 3)
            counts[version, default: 0] += 1
            #expect(TrafficRouter.decide(model: m, version: nil, alias: nil, stickyKey: "e\(entity)", in: registry) == .route(version: version, shadow: 3))
        }
        #expect(abs(Double(counts[2] ?? 0) / 20_000 - 0.1) < 0.01)
        #expect(TrafficRouter.decide(model: m, version: "2", alias: nil, stickyKey: "x", in: registry) == .route(version: 2, shadow: nil))
        #expect(TrafficRouter.decide(model: m, version: "9", alias: nil, stickyKey: "x", in: registry) == .failure(code: .unknownVersion, message: "model m has no active version 9"))
        if case .failure(let code, _) = TrafficRouter.decide(model: m, version: nil, alias: "staging", stickyKey: "x", in: registry) {
            #expect(code == .notDeployed)
        } else { Issue.record("expected not_deployed") }
        // Another tenant's model of the same name is invisible: the same answer as no model at all.
        let other = ModelKey(tenant: "other", model: "m")
        if case .failure(let code, _) = TrafficRouter.decide(model: other, version: nil, alias: nil, stickyKey: "x", in: registry) {
            #expect(code == .unknownModel)
        } else { Issue.record("another tenant's model must be unknown") }
    }
}
