import Foundation
import Synchronization

/// An OS thread that runs submitted jobs one after another, in order.
///
/// Blocking C calls (librdkafka polls, hiredis round trips) run here so they never occupy a
/// thread of Swift's cooperative pool. Every job submitted before `shutdown()` still runs.
public final class DedicatedThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
    }

    private let state = Mutex(State())
    /// Counts queued jobs, plus one for the stop request.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    public let name: String

    public init(name: String) {
        self.name = name
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.start()
    }

    /// Queues `job` to run on this thread. Returns false if the thread is shutting down.
    @discardableResult
    public func execute(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Runs `body` on this thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = execute { continuation.resume(with: Result { try body() }) }
            if !accepted { continuation.resume(throwing: DedicatedThreadError(threadName: name)) }
        }
    }

    /// Lets queued jobs finish, then ends the thread and waits for it.
    public func shutdown() {
        let first = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        available.signal()
        finished.wait()
    }

    private func runLoop() {
        while true {
            available.wait()
            let (job, stopping) = state.withLock { state in
                (state.jobs.isEmpty ? nil : state.jobs.removeFirst(), state.stopping)
            }
            if let job {
                job()
            } else if stopping {
                finished.signal()
                return
            }
        }
    }
}

/// Thrown when work is submitted to a thread that has been shut down.
public struct DedicatedThreadError: Error, CustomStringConvertible {
    public let threadName: String
    public var description: String { "thread \(threadName) is shut down" }
}
