import Foundation

/// Prints the demo's story: numbered steps, what was done, and each check as it holds. A check
/// that does not hold ends the demo with exit status 4 and says which.
final class DemoNarrator {
    let steps: Int
    private var current = 0
    private(set) var checks = 0
    private let started = ContinuousClock.now

    init(steps: Int) { self.steps = steps }

    func step(_ title: String) {
        current += 1
        Terminal.line()
        Terminal.line(Terminal.styled("[\(current)/\(steps)] \(title)", .bold, .blue) + Terminal.styled("  +\(Int((ContinuousClock.now - started).seconds)) s", .dim))
    }

    func say(_ text: String) { Terminal.line("      " + text) }

    func check(_ condition: Bool, _ what: String, otherwise detail: @autoclosure () -> String = "") throws {
        guard condition else {
            Terminal.line("   " + Terminal.styled("✗ \(what)", .red, .bold) + (detail().isEmpty ? "" : ": \(detail())"))
            throw CLIError(.failed, "demo step \(current) failed its check: \(what)" + (detail().isEmpty ? "" : " (\(detail()))"),
                           hint: "the services' logs say more: `./intellicore dev logs <service>`")
        }
        checks += 1
        Terminal.line("   " + Terminal.styled("✓", .green) + " " + what)
    }

    /// Polls `probe` until it returns a value, or fails the step's check after `timeout`.
    /// `explain` says what was seen instead, when it never came.
    func waitFor<T>(_ what: String, timeout: Duration, every interval: Duration = .milliseconds(500),
                    explain: (() async -> String)? = nil, _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: interval)
        }
        if let value = try await probe() { return value }
        let seen = await explain?() ?? ""
        try check(false, what, otherwise: "not within \(timeout)" + (seen.isEmpty ? "" : "; \(seen)"))
        fatalError("unreachable: check(false) throws")
    }

    var elapsed: Duration { ContinuousClock.now - started }
}
