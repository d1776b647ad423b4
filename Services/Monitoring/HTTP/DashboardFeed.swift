import Foundation
import IntelliCoreEvents
import Synchronization

/// The live event stream of the dashboard (`GET /v1/monitoring/stream`, Server-Sent Events):
/// each subscriber gets its own tenant's events only, in a bounded buffer (a slow reader loses
/// its oldest events, never slows monitoring down).
///
/// Event names: `metrics` (every version's 1-minute window, each second), `drift` (each
/// evaluation's report), `alert` (a condition raised or cleared), `health`, `deployment` (an
/// alias moved), `training` (a job's progress or outcome), `audit`.
final class DashboardFeed: Sendable {
    private struct Subscriber {
        let tenant: String
        let continuation: AsyncStream<String>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    /// A stream of SSE frames for `tenant`, ending when the client goes away.
    func subscribe(tenant: String) -> AsyncStream<String> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        continuation.onTermination = { [weak self] _ in self?.subscribers.withLock { $0[id] = nil } }
        subscribers.withLock { $0[id] = Subscriber(tenant: tenant, continuation: continuation) }
        continuation.yield(": connected\n\n")
        return stream
    }

    /// The tenants someone is watching now.
    var watchedTenants: Set<String> { subscribers.withLock { Set($0.values.map(\.tenant)) } }

    func publish(_ event: String, tenant: String, _ value: some Encodable) {
        guard let data = try? EventCodec.encode(value) else { return }
        let frame = "event: \(event)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
        let targets = subscribers.withLock { $0.values.filter { $0.tenant == tenant }.map(\.continuation) }
        for continuation in targets { continuation.yield(frame) }
    }

    /// A comment line to every subscriber, so that proxies keep idle streams open.
    func heartbeat() {
        for continuation in subscribers.withLock({ $0.values.map(\.continuation) }) { continuation.yield(": heartbeat\n\n") }
    }
}
