import ServiceLifecycle
import Synchronization

/// Opens once the service's schema is migrated; components that need their tables wait on it.
final class StartupGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if ready { continuation.resume() }
        }
    }
}

/// Runs `inner` once the gate opens; returns without running it if the service stops first.
struct GatedService: Service {
    let gate: StartupGate
    let inner: any Service

    func run() async throws {
        let opened: Void? = await withTaskGroup(of: Void?.self) { group in
            group.addTask { await gate.wait() }
            group.addTask { try? await gracefulShutdown(); return nil }
            let first: Void? = await group.next() ?? nil
            group.cancelAll()
            if first == nil { gate.open() }  // release the waiter so the group can finish
            return first
        }
        guard opened != nil, !Task.isShuttingDownGracefully else { return }
        try await inner.run()
    }
}
