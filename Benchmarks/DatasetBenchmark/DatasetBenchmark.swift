import BenchmarkSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A dataset upload through ingestion against a running local platform (`./intellicore dev up`):
/// a CSV of `--rows` rows × 20 columns (16 numbers, 3 categories, a boolean target) uploaded by
/// curl, from the first byte sent until ingestion answers — which it does once every
/// `DatasetRecordsAppended` of the version is acknowledged by the broker and the version is
/// sealed. Beside it, in the same run on the same broker, the same file read with pandas
/// `read_csv` and produced as the same batches with confluent-kafka (`pandas_peer.py`).
/// Prints rows/s for both, their ratio, ingestion's CPU per row and its peak resident memory;
/// then how long until the training orchestrator had stored the version's last row (it marks the
/// version sealed in its schema once every row is there), read from PostgreSQL.
///   dataset-benchmark --gateway URL --admin-key-file FILE --bootstrap HOST:PORT --python PATH
///                     [--rows 1000000] [--ingestion-pid P] [--broker-pid P] [--orchestrator-pid P]
///                     [--postgres-port 19432] [--batch-rows 1000]
@main
struct DatasetBenchmark {
    static let categories = [["north", "south", "east", "west"], ["free", "pro", "team", "enterprise", "trial"], ["a", "b", "c", "d", "e", "f", "g", "h"]]

    static func main() async throws {
        let options = Options(CommandLine.arguments.dropFirst())
        var logger = Logger(label: "dataset-benchmark")
        logger.logLevel = .warning
        let file = try generate(rows: options.rows)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        let adminKey = try String(contentsOfFile: options.adminKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let run = UInt32.random(in: 0...UInt32.max)
        let tenant = "dsbench-\(run)"
        let apiKey = try await benchmarkTenant(gateway: options.gateway, adminKey: adminKey, tenant: tenant, name: "dataset benchmark", plan: "bench")
        var columns = (1...16).map { #"{"name":"f\#($0)","type":"number"}"# }
        for (index, values) in categories.enumerated() {
            columns.append(#"{"name":"c\#(index + 1)","type":"category","categories":[\#(values.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        }
        columns.append(#"{"name":"label","type":"boolean"}"#)
        let registered = try await http("POST", "\(options.gateway)/v1/datasets", key: apiKey,
                                        body: #"{"name":"bench","target":"label","columns":[\#(columns.joined(separator: ","))]}"#, expect: 201)
        guard let dataset = (try JSONSerialization.jsonObject(with: registered) as? [String: Any])?["dataset_id"] as? String else {
            report("no dataset id"); exit(1)
        }
        report(String(format: "dataset benchmark: %d rows × 20 columns, %.1f MB CSV (%@)", options.rows, Double(size) / 1e6, file))

        // 1. Ingestion: curl streams the file; the answer comes once the version is sealed.
        let cpu = CPUAccount(processes: [("ingestion", options.ingestionPid), ("broker", options.brokerPid)])
        let orchestratorCPU = CPUAccount(processes: [("training-orchestrator", options.orchestratorPid)])
        let memory = MemorySampler(pid: options.ingestionPid)
        let start = ContinuousClock.now
        let answer = try runProcess("/usr/bin/curl", ["-sS", "-X", "POST", "-H", "Authorization: Bearer \(apiKey)", "-H", "Content-Type: text/csv",
                                                      "--upload-file", file, "\(options.gateway)/v1/datasets/\(dataset)/versions"])
        let seconds = elapsedSeconds(since: start)
        let peak = memory.stop()
        guard let json = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
              let accepted = json["rows_accepted"] as? Int, json["status"] as? String == "sealed" else {
            report("the upload did not seal: \(answer.prefix(500))"); exit(1)
        }
        let rate = Double(accepted) / seconds
        report(String(format: "ingestion: %d rows sealed in %.2f s = %.0f rows/s (%.1f MB/s); %@", accepted, seconds, rate,
                      Double(size) / 1e6 / seconds, cpu.summary(per: accepted, unit: "row")))
        if let peak {
            report(String(format: "ingestion resident memory: %.0f MB before, peak %.0f MB during the upload (sampled every 20 ms)",
                          peak.before / 1e6, peak.peak / 1e6))
        }

        // 1b. Until the training orchestrator stored the last row.
        if let version = json["version"] as? Int {
            if let stored = try await waitUntilStored(dataset: dataset, version: version, options: options, logger: logger) {
                let total = (stored - start) / .seconds(1)
                report(String(format: "training orchestrator: every row stored %.2f s after the upload started = %.0f rows/s end to end; %@",
                              total, Double(accepted) / total,
                              orchestratorCPU.summary(per: accepted, unit: "row")))
            } else {
                report("training orchestrator: the version was not stored within 300 s (is it running? --postgres-port)")
            }
        }

        // 2. The Python peer on the same file and broker: pandas read_csv, then the same batches with confluent-kafka.
        let topic = "intellicore.bench.pandas-\(run)"
        let admin = try KafkaAdmin(bootstrapServers: options.bootstrap, logger: logger)
        try await admin.createTopics([KafkaTopicSpec(name: topic, partitions: 1)])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pandas_peer.py").path
        let peerOutput = try runProcess(options.python, [script, "--csv", file, "--bootstrap", options.bootstrap, "--topic", topic,
                                                         "--batch", String(options.batchRows)])
        guard let peer = try? JSONSerialization.jsonObject(with: Data(peerOutput.utf8)) as? [String: Double],
              let peerRows = peer["rows"], let peerSeconds = peer["seconds"] else {
            report("the Python peer failed: \(peerOutput.prefix(500))"); exit(1)
        }
        let peerRate = peerRows / peerSeconds
        report(String(format: "pandas read_csv + confluent-kafka: %.0f rows in %.2f s (read %.2f s, produce %.2f s) = %.0f rows/s",
                      peerRows, peerSeconds, peer["read_seconds"] ?? 0, peer["produce_seconds"] ?? 0, peerRate))
        report(String(format: "ratio ingestion / Python: %.2f×", rate / peerRate))
    }

    /// Polls the orchestrator's schema until the version is sealed there; returns when it was seen.
    static func waitUntilStored(dataset: String, version: Int, options: Options, logger: Logger) async throws -> ContinuousClock.Instant? {
        let settings = PostgresSettings(host: "127.0.0.1", port: options.postgresPort, username: "intellicore", password: "intellicore",
                                        database: "intellicore", maximumConnections: 1)
        let client = settings.makeClient(logger: logger)
        return try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            let deadline = ContinuousClock.now + .seconds(300)
            while ContinuousClock.now < deadline {
                let rows = try await client.query("SELECT status FROM training.dataset_versions WHERE dataset_id = \(dataset) AND version = \(version)",
                                                  logger: logger)
                for try await status in rows.decode(String.self) where status == "sealed" { return ContinuousClock.now }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
    }

    /// The benchmark's CSV, made once per row count with a fixed seed and kept in the temporary directory.
    static func generate(rows: Int) throws -> String {
        let path = NSTemporaryDirectory() + "intellicore-dataset-bench-\(rows).csv"
        if FileManager.default.fileExists(atPath: path) { return path }
        FileManager.default.createFile(atPath: path + ".tmp", contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".tmp"))
        var generator = SeededGenerator(seed: 7)
        var text = (1...16).map { "f\($0)" }.joined(separator: ",") + ",c1,c2,c3,label\n"
        for _ in 0..<rows {
            for _ in 0..<16 {
                // Values as people export them: up to 6 significant digits, a sign, a fraction.
                let value = Int(generator.next() % 2_000_000) - 1_000_000
                text += value < 0 ? "-" : ""
                text += String(abs(value) / 1000)
                text += "."
                let fraction = abs(value) % 1000
                text += fraction < 10 ? "00" : fraction < 100 ? "0" : ""
                text += String(fraction)
                text += ","
            }
            for values in categories {
                text += values[Int(generator.next() % UInt64(values.count))]
                text += ","
            }
            text += generator.next() % 2 == 0 ? "true\n" : "false\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
        try handle.close()
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        return path
    }
}

/// Samples a process's resident memory (`VmRSS`) every 20 ms on its own thread.
final class MemorySampler: @unchecked Sendable {
    private let pid: pid_t?
    private let lock = NSLock()
    private var peak = 0.0
    private var running = true
    private let before: Double?
    private var thread: Thread?

    init(pid: pid_t?) {
        self.pid = pid
        before = pid.flatMap(Self.resident)
        guard let pid else { return }
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                if let value = Self.resident(pid) { lock.withLock { peak = max(peak, value) } }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() -> (before: Double, peak: Double)? {
        lock.withLock { running = false }
        guard let before else { return nil }
        return (before, lock.withLock { max(peak, before) })
    }

    /// Resident bytes of a process, from `/proc/PID/status`.
    static func resident(_ pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}


struct Options {
    var gateway = "http://127.0.0.1:8081"
    var adminKeyFile = ".intellicore/dev/admin-key"
    var bootstrap = "127.0.0.1:19092"
    var python = "python3"
    var rows = 1_000_000
    var batchRows = 1000
    var ingestionPid: pid_t?
    var brokerPid: pid_t?
    var orchestratorPid: pid_t?
    var postgresPort = 19432

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { FileHandle.standardError.write(Data("\(flag) needs a value\n".utf8)); exit(2) }
            switch flag {
            case "--gateway": gateway = value
            case "--admin-key-file": adminKeyFile = value
            case "--bootstrap": bootstrap = value
            case "--python": python = value
            case "--rows": rows = Int(value) ?? rows
            case "--batch-rows": batchRows = Int(value) ?? batchRows
            case "--ingestion-pid": ingestionPid = pid_t(value)
            case "--broker-pid": brokerPid = pid_t(value)
            case "--orchestrator-pid": orchestratorPid = pid_t(value)
            case "--postgres-port": postgresPort = Int(value) ?? postgresPort
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
            }
        }
    }
}
