import IntelliCoreConcurrency
import Logging
import ServiceLifecycle

/// State a component rebuilds from its own tables before it starts (routing tables, API keys).
public enum StartupLoad {
    /// Runs `load` until it succeeds, retrying with backoff while the database is not there yet;
    /// false when the service began to stop first.
    public static func untilDone(_ what: String, logger: Logger, _ load: () async throws -> Void) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await load()
                return true
            } catch {
                logger.warning("cannot load \(what); retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
        return false
    }
}

/// Rebuilds state from the service's own tables (`load`, retried until the database answers),
/// then runs the components that read and update that state: none of them may start before the
/// state it updates is in place. With `reloadOn`, `load` runs again whenever another replica
/// changed that state (see `ChangeChannel`).
public struct LoadThenRun: Service {
    let what: String
    let logger: Logger
    let load: @Sendable () async throws -> Void
    let then: [any Service]

    public init(_ what: String, logger: Logger, load: @escaping @Sendable () async throws -> Void, then: [any Service]) {
        self.what = what
        self.logger = logger
        self.load = load
        self.then = then
    }

    /// Also reloads whenever `channel` is notified.
    public init(_ what: String, context: ServiceContext, reloadOn channel: ChangeChannel,
                load: @escaping @Sendable () async throws -> Void, then: [any Service]) {
        self.init(what, logger: context.logger, load: load, then: then + [context.changeListener(channel, reload: load)])
    }

    public func run() async throws {
        guard await StartupLoad.untilDone(what, logger: logger, load) else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in then { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
