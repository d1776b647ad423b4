import Foundation
import IntelliCoreConcurrency
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Runs the jobs of a `WorkQueue`, one at a time per worker, as a `Service`.
///
/// A job's handler finishes it with `completion.commit { transaction in … }`: the effects, the
/// events it publishes and the job's `done` mark commit together, and only while this worker
/// still holds the lease (which it renews every third of `lease` while the handler runs), so a
/// job is never finished twice. A handler that returns without committing completes the job
/// with no effects; one that throws is retried after a backoff until the job's attempts are used.
/// A killed worker's job is picked up by another once its lease expires.
public struct QueueWorker: Service {
    public struct Settings: Sendable {
        /// How long a claimed job stays this worker's without a renewal; default 30 s.
        public var lease: Duration
        /// How often an idle worker looks for jobs; default 1 s.
        public var pollInterval: Duration
        /// The wait before a failed job runs again, doubled per attempt; default 2 s.
        public var retryDelay: Duration

        public init(lease: Duration = .seconds(30), pollInterval: Duration = .seconds(1), retryDelay: Duration = .seconds(2)) {
            self.lease = lease
            self.pollInterval = pollInterval
            self.retryDelay = retryDelay
        }
    }

    /// How a handler commits a job's effects together with its completion.
    public struct Completion: Sendable {
        let item: WorkItem
        let owner: String
        let queue: WorkQueue
        let client: PostgresClient
        let publisher: EventPublisher
        let logger: Logger
        let committed: AtomicFlag

        /// Runs `body` in one transaction that also marks the job done; throws `WorkLeaseLost`
        /// (and commits nothing) when the job is no longer this worker's.
        public func commit<Result: Sendable>(_ body: (EventTransaction) async throws -> Result) async throws -> Result {
            let result = try await client.withEventTransaction(publisher: publisher, logger: logger) { transaction in
                let result = try await body(transaction)
                try await queue.complete(item, owner: owner, on: transaction.connection, logger: logger)
                return result
            }
            committed.set()
            return result
        }
    }

    public typealias Handler = @Sendable (WorkItem, Completion) async throws -> Void

    let queue: WorkQueue
    let client: PostgresClient
    let publisher: EventPublisher
    let settings: Settings
    let owner: String
    let logger: Logger
    let handler: Handler
    private let outcomes: (done: Counter, retried: Counter, failed: Counter)

    public init(queue: WorkQueue, client: PostgresClient, publisher: EventPublisher, settings: Settings = Settings(),
                owner: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))",
                logger: Logger, handler: @escaping Handler) {
        self.queue = queue
        self.client = client
        self.publisher = publisher
        self.settings = settings
        self.owner = owner
        self.logger = logger
        self.handler = handler
        let dimensions = [("queue", queue.name)]
        outcomes = (Counter(label: "intellicore_jobs_done_total", dimensions: dimensions),
                    Counter(label: "intellicore_jobs_retried_total", dimensions: dimensions),
                    Counter(label: "intellicore_jobs_failed_total", dimensions: dimensions))
    }

    public func run() async throws {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if let item = try await queue.claim(owner: owner, lease: settings.lease, client: client, logger: logger) {
                    try await execute(item)
                } else {
                    try? await Task.sleep(for: settings.pollInterval)
                }
                backoff.reset()
            } catch {
                let delay = backoff.next()
                logger.warning("work queue round failed; retrying", metadata: ["work.queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Runs one claimed job while renewing its lease; a lost lease cancels the handler.
    func execute(_ item: WorkItem) async throws {
        let completion = Completion(item: item, owner: owner, queue: queue, client: client, publisher: publisher, logger: logger,
                                    committed: AtomicFlag())
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do { try await handler(item, completion); return .success(()) } catch { return .failure(error) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: settings.lease / 3)
                    if Task.isCancelled { return nil }
                    if let held = try? await queue.renew(item, owner: owner, lease: settings.lease, client: client, logger: logger), !held {
                        return .failure(WorkLeaseLost(id: item.id))
                    }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(WorkLeaseLost(id: item.id))
        }
        let metadata: Logger.Metadata = ["work.queue": "\(queue.name)", "work.id": "\(item.id)", "work.attempt": "\(item.attempt)"]
        switch outcome {
        case .success:
            if !completion.committed.isSet { _ = try await completion.commit { _ in } }
            outcomes.done.increment()
        case .failure(let error as WorkLeaseLost):
            logger.warning("job lost its lease; another worker or a cancel took it", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        case .failure(let error):
            let delay = settings.retryDelay * (1 << min(item.attempt - 1, 10))
            let failed = try await queue.fail(item, owner: owner, error: "\(error)", retryAfter: delay, client: client, logger: logger)
            (failed ? outcomes.failed : outcomes.retried).increment()
            logger.warning(failed ? "job failed for good" : "job failed; it will run again", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
