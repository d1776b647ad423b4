import IntelliCoreConcurrency
import Logging
import PostgresNIO
import ServiceLifecycle

/// A PostgreSQL notification channel that tells every replica of a service that state it keeps
/// in memory changed in its tables.
///
/// Why: a service's consumers share one consumer group, so with several replicas each replica
/// reads only its share of a topic's partitions. State every replica must hold whole (API keys,
/// the gateway's model catalog, inference's routing and quotas) is written to the shared tables by
/// whichever replica consumed the event; the same transaction notifies this channel
/// (`EventTransaction.notify`), and PostgreSQL delivers the notice to every listening replica
/// only once the transaction committed, so each reloads committed state (`ChangeListener`).
public struct ChangeChannel: Sendable, Hashable {
    /// `<schema>_<what>`: replicas of one deployment share it, other schemas never do.
    public let name: String

    public init(schema: String, what: String) {
        name = String("\(schema)_\(what)".prefix(63)) // PostgreSQL's identifier length
    }
}

extension EventTransaction {
    /// Notifies `channel` when this transaction commits (and never if it rolls back).
    public func notify(_ channel: ChangeChannel) async throws {
        try await connection.query("SELECT pg_notify(\(channel.name), '')", logger: logger)
    }
}

/// Listens on a `ChangeChannel` on its own connection and runs `reload` for each notice, and
/// once more each time it (re)connects, since notices sent while it was not listening are lost.
public struct ChangeListener: Service {
    let channel: ChangeChannel
    let client: PostgresClient
    let logger: Logger
    let reload: @Sendable () async throws -> Void

    public init(_ channel: ChangeChannel, client: PostgresClient, logger: Logger, reload: @escaping @Sendable () async throws -> Void) {
        self.channel = channel
        self.client = client
        self.logger = logger
        self.reload = reload
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await listen() }
    }

    private func listen() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel.name) { notices in
                        try await reload() // what changed before this listener was there
                        for try await _ in notices { try await reload() }
                    }
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.warning("change listener lost its connection; reconnecting",
                               metadata: ["postgres.channel": "\(channel.name)", "error": "\(error)"])
            }
            // A listener that had been up a while reconnects at once; one that keeps failing backs off.
            if ContinuousClock.now - started > .seconds(30) { backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5)) }
            try? await Task.sleep(for: backoff.next())
        }
    }
}
