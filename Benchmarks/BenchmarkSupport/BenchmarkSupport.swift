import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why a benchmark stopped.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One JSON request to a running service with an API key; throws unless it answers `expect`.
public func http(_ method: String, _ url: String, key: String, body: String?, expect: Int) async throws -> Data {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
    if let body {
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    guard status == expect else { throw BenchmarkError("\(method) \(url): \(status) \(String(decoding: data, as: UTF8.self))") }
    return data
}

/// Creates a tenant through the gateway with the platform administrator's key and returns a
/// developer key of it.
public func benchmarkTenant(gateway: String, adminKey: String, tenant: String, name: String, plan: String) async throws -> String {
    _ = try await http("POST", "\(gateway)/v1/tenants", key: adminKey,
                       body: #"{"tenant_id":"\#(tenant)","name":"\#(name)","plan":"\#(plan)"}"#, expect: 201)
    let issued = try await http("POST", "\(gateway)/v1/tenants/\(tenant)/keys", key: adminKey, body: #"{"role":"developer"}"#, expect: 201)
    guard let key = (try JSONSerialization.jsonObject(with: issued) as? [String: Any])?["key"] as? String else {
        throw BenchmarkError("the gateway issued no key: \(String(decoding: issued, as: UTF8.self))")
    }
    return key
}

/// Writes a line to standard output at once (`print` is block-buffered into a pipe).
public func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The value at fraction `p` of an ascending array; NaN when empty.
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Seconds since `start`, as a `Double`.
public func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start) / .seconds(1)
}

/// CPU seconds that processes spend between its creation and `summary`, from `/proc/PID/stat`.
public struct CPUAccount {
    let processes: [(name: String, pid: pid_t)]
    let start: [Double?]
    /// Commands whose processes are summed into one figure, found again at `summary`, so that
    /// processes started in between count too (PostgreSQL starts a backend per new connection).
    /// A process that exited in between is missed.
    let commands: [(command: String, start: [pid_t: Double])]

    public init(processes: [(String, pid_t?)], commands: [String] = []) {
        self.processes = processes.compactMap { name, pid in pid.map { (name, $0) } }
        start = self.processes.map { Self.cpuSeconds($0.pid) }
        self.commands = commands.map { command in
            (command, Dictionary(Self.processes(named: command).compactMap { pid in Self.cpuSeconds(pid).map { (pid, $0) } },
                                 uniquingKeysWith: { first, _ in first }))
        }
    }

    public func summary(per count: Int, unit: String = "prediction") -> String {
        guard count > 0 else { return "CPU per \(unit): (nothing counted)" }
        var parts = zip(processes, start).compactMap { process, before -> String? in
            guard let before, let after = Self.cpuSeconds(process.pid) else { return nil }
            return String(format: "%@ %.1f µs", process.name, (after - before) / Double(count) * 1e6)
        }
        for (command, before) in commands {
            let seconds = Self.processes(named: command).reduce(0.0) { sum, pid in
                sum + (Self.cpuSeconds(pid).map { $0 - (before[pid] ?? 0) } ?? 0)
            }
            parts.append(String(format: "%@ (all processes) %.1f µs", command, seconds / Double(count) * 1e6))
        }
        return "CPU per \(unit): " + (parts.isEmpty ? "(no process ids given)" : parts.joined(separator: ", "))
    }

    /// The CPU seconds per `count` of the process named `name` so far, or nil when it is not
    /// followed or has gone.
    public func seconds(of name: String, per count: Int) -> Double? {
        guard count > 0, let position = processes.firstIndex(where: { $0.name == name }), let before = start[position],
              let after = Self.cpuSeconds(processes[position].pid) else { return nil }
        return (after - before) / Double(count)
    }

    /// Every running process whose command is `command` (PostgreSQL's backends: `postgres`).
    public static func processes(named command: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter {
            (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == command
        }
    }

    /// User + system time of a process, in seconds (fields 14 and 15 of `/proc/PID/stat`).
    public static func cpuSeconds(_ pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: field 3 is at index 0, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// CPU seconds all cores spent busy since boot (`/proc/stat`: user, nice, system, irq, softirq,
/// steal): the difference over a run, divided by its length, is how many cores were busy.
public func machineBusySeconds() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first else { return 0 }
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard fields.count >= 8 else { return 0 }
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Runs `executable` to its end and returns what it printed on standard output (a peer's
/// figures), and on standard error too when `errors` is set.
public func runProcess(_ executable: String, _ arguments: [String], errors: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if errors { process.standardError = pipe }
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
}

/// User + system CPU seconds of this process's children that have ended (`getrusage`).
public func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
