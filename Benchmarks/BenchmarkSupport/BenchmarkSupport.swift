import Foundation

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

    public init(processes: [(String, pid_t?)]) {
        self.processes = processes.compactMap { name, pid in pid.map { (name, $0) } }
        start = self.processes.map { Self.cpuSeconds($0.pid) }
    }

    public func summary(per predictions: Int) -> String {
        let parts = zip(processes, start).compactMap { process, before -> String? in
            guard let before, let after = Self.cpuSeconds(process.pid), predictions > 0 else { return nil }
            return String(format: "%@ %.1f µs", process.name, (after - before) / Double(predictions) * 1e6)
        }
        return "CPU per prediction: " + (parts.isEmpty ? "(no process ids given)" : parts.joined(separator: ", "))
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
