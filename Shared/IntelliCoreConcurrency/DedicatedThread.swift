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
    /// Wakes the thread when a job arrives; `NSCondition` is thread-safe by design.
    private nonisolated(unsafe) let condition = NSCondition()
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
        condition.lock()
        defer { condition.unlock() }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { condition.signal() }
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
        condition.lock()
        let first = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        condition.signal()
        condition.unlock()
        if first { finished.wait() }
    }

    private func runLoop() {
        while true {
            condition.lock()
            var batch: [@Sendable () -> Void] = []
            var stop = false
            while true {
                (batch, stop) = state.withLock { state in
                    defer { state.jobs.removeAll(keepingCapacity: true) }
                    return (state.jobs, state.stopping)
                }
                if !batch.isEmpty || stop { break }
                condition.wait()
            }
            condition.unlock()
            for job in batch { job() }
            if stop && batch.isEmpty {
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
