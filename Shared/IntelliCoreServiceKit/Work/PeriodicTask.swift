import Logging
import Metrics
import ServiceLifecycle

/// Runs `work` every `interval` as a `Service` (invoice finalisation, usage summaries, sweeps),
/// the first time after `initialDelay`. A failing run is logged and counted; the next one
/// follows on schedule. Stops between runs on graceful shutdown.
public struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let initialDelay: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void
    private let failures: Counter

    public init(name: String, interval: Duration, initialDelay: Duration = .zero, logger: Logger,
                work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.initialDelay = initialDelay
        self.logger = logger
        self.work = work
        failures = Counter(label: "intellicore_periodic_task_failures_total", dimensions: [("task", name)])
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: initialDelay) }
        let clock = ContinuousClock()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let started = clock.now
            do {
                try await work()
            } catch {
                failures.increment()
                logger.error("periodic task failed", metadata: ["task": "\(name)", "error": "\(error)"])
            }
            let next = started + interval
            if next > clock.now { try? await cancelWhenGracefulShutdown { try await Task.sleep(until: next, clock: clock) } }
        }
    }
}
