import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local stack (`scripts/stack.sh`): start, stop, where it runs, its logs.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The local platform: broker, PostgreSQL, Redis and the five services on this machine.",
        subcommands: [Up.self, Down.self, Status.self, Logs.self])

    /// The checkout's root: INTELLICORE_ROOT (set by `./intellicore`), else the working directory.
    static var root: String { ProcessInfo.processInfo.environment["INTELLICORE_ROOT"] ?? FileManager.default.currentDirectoryPath }
    static var logs: String { (ProcessInfo.processInfo.environment["INTELLICORE_STATE"] ?? root + "/.intellicore") + "/dev/logs" }

    static func stack(_ arguments: [String]) throws {
        let script = root + "/scripts/stack.sh"
        guard FileManager.default.fileExists(atPath: script) else {
            throw CLIError(.refused, "no scripts/stack.sh under \(root)", hint: "run this from the IntelliCore checkout, through ./intellicore")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["STACK"] = "dev"
        let status = try Self.spawn("/bin/bash", [script] + arguments, environment: environment)
        guard status == 0 else {
            throw CLIError(.unavailable, "scripts/stack.sh \(arguments.joined(separator: " ")) ended with status \(status)",
                           hint: "its messages are above; logs are in .intellicore/dev/logs")
        }
    }

    /// Runs a program on this terminal and returns its exit status. (posix_spawn and waitpid:
    /// Foundation's `Process.waitUntilExit` was seen never returning under async `main`.)
    static func spawn(_ path: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, nil, nil, argv, envp)
        guard spawned == 0 else { throw CLIError(.unavailable, "could not start \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start everything (already built by ./intellicore) and wait until each service is ready.")
        func run() async throws {
            try Dev.stack(["up", "--services"])
            try Dev.stack(["status"])
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the local platform.")
        func run() async throws { try Dev.stack(["down"]) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What runs where.")
        func run() async throws { try Dev.stack(["status"]) }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A service's log (or the broker's, PostgreSQL's, Redis's).")

        @Argument(help: "ingestion, training-orchestrator, inference, monitoring, billing, broker, postgres or redis")
        var service: String

        @Option(name: [.customShort("n"), .long], help: "Lines from the end (as tail -n).")
        var lines = 50

        @Flag(name: .shortAndLong, help: "Keep printing new lines.")
        var follow = false

        func run() async throws {
            let path = Dev.logs + "/\(service).log"
            guard FileManager.default.fileExists(atPath: path) else {
                let known = (try? FileManager.default.contentsOfDirectory(atPath: Dev.logs)) ?? []
                throw CLIError(.refused, "no log for \(service)",
                               hint: known.isEmpty ? "start the platform: ./intellicore dev up" : "logs: \(known.sorted().map { $0.replacingOccurrences(of: ".log", with: "") }.joined(separator: ", "))")
            }
            _ = try Dev.spawn("/usr/bin/tail", ["-n", String(lines)] + (follow ? ["-F"] : []) + [path], environment: ProcessInfo.processInfo.environment)
        }
    }
}
