import Synchronization

/// What `/health/ready` reports: named checks, each passing or failing with a reason.
///
/// A service is ready when every required check passes. Optional checks (the cache) are
/// reported but never make a service unready.
public final class HealthMonitor: Sendable {
    public struct Check: Sendable, Codable, Equatable {
        public var ok: Bool
        public var required: Bool
        public var detail: String
    }

    private let checks = Mutex<[String: Check]>([:])

    public init(required names: [String]) {
        checks.withLock { checks in
            for name in names { checks[name] = Check(ok: false, required: true, detail: "starting") }
        }
    }

    public func update(_ name: String, ok: Bool, detail: String = "", required: Bool = true) {
        checks.withLock { $0[name] = Check(ok: ok, required: required, detail: detail.isEmpty ? (ok ? "ok" : "failing") : detail) }
    }

    public var isReady: Bool {
        checks.withLock { $0.values.allSatisfy { $0.ok || !$0.required } }
    }

    public var snapshot: [String: Check] { checks.withLock { $0 } }
}
