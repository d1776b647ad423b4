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
