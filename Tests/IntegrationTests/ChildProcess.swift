import Foundation

/// A child process spawned with a clean signal mask and default handlers.
///
/// Foundation's `Process` spawns from whatever thread it is called on; on a Dispatch worker
/// thread every signal is blocked and the child inherits that mask, so it never sees SIGTERM.
/// Waiting here polls `waitpid` and never blocks a thread of the cooperative pool.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private var status: Int32?
    let logPath: String

    init(executable: String, arguments: [String], environment: [String: String], logPath: String = "/dev/null") throws {
        self.logPath = logPath
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child = pid_t()
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SetupError("cannot start \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
        }
    }

    /// The raw wait status once the child has exited, nil while it runs.
    var exitStatus: Int32? {
        if let status { return status }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status
    }

    var isRunning: Bool { exitStatus == nil }

    /// True when the child exited normally with status 0.
    var exitedCleanly: Bool {
        guard let status = exitStatus else { return false }
        return status & 0x7F == 0 && (status >> 8) & 0xFF == 0
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits up to `timeout` for the child to exit.
    func waitForExit(timeout: Duration) async throws -> Bool {
        try await eventually(timeout: timeout) { !isRunning }
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
