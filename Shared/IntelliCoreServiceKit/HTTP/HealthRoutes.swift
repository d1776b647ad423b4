import Foundation
import Hummingbird
import Prometheus

/// `/health/live`, `/health/ready` and Prometheus `/metrics`, the same on every service.
public enum HealthRoutes {
    public static func add<Context: RequestContext>(to router: Router<Context>, service: String, health: HealthMonitor,
                                                    registry: PrometheusCollectorRegistry) {
        router.get("/health/live") { _, _ in
            try JSONResponse.make(.ok, ["status": "live", "service": service])
        }
        router.get("/health/ready") { _, _ in
            let ready = health.isReady
            let body = ReadinessBody(status: ready ? "ready" : "not_ready", service: service, checks: health.snapshot)
            return try JSONResponse.make(ready ? .ok : .serviceUnavailable, body)
        }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    struct ReadinessBody: Encodable {
        let status: String
        let service: String
        let checks: [String: HealthMonitor.Check]
    }
}
