import Foundation
import Testing

/// `intellicore demo` on a stack of all five services, as a new user runs it: every step's check
/// must hold (the CLI exits 4 naming the step otherwise). Then the CLI's other commands as a
/// tenant would use them, and its exit statuses for a refused request, an unreachable platform
/// and a wrong command line.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DemoTests {
    static let services = ["ingestion", "training-orchestrator", "inference", "monitoring", "billing"]
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLI/Demo/breast-cancer-wisconsin.csv").path

    /// The CLI's environment for `stack`: each service's address, the administrator's key, the broker and the topics' prefix.
    static func environment(_ stack: GatewayStack) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let names = ["ingestion": "GATEWAY", "training-orchestrator": "TRAINING", "inference": "INFERENCE", "monitoring": "MONITORING", "billing": "BILLING"]
        for (service, name) in names { environment["INTELLICORE_\(name)_URL"] = "http://127.0.0.1:\(stack.ports[service] ?? 0)" }
        environment["INTELLICORE_ADMIN_KEY"] = GatewayStack.adminKey
        environment["INTELLICORE_TOPIC_PREFIX"] = stack.prefix
        environment["KAFKA_BOOTSTRAP"] = stack.env.kafkaBootstrap
        environment["INTELLICORE_KEY_FILE"] = NSTemporaryDirectory() + "it-cli-key-\(UUID().uuidString.prefix(8))"
        environment["INTELLICORE_KEY"] = nil
        return environment
    }

    /// Runs the CLI; its exit status and what it printed (standard output and error together).
    static func cli(_ arguments: [String], _ environment: [String: String], timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
        let binaries = try #require(ProcessInfo.processInfo.environment["INTELLICORE_BIN"], "INTELLICORE_BIN must point at the built executables")
        let log = NSTemporaryDirectory() + "it-cli-\(UUID().uuidString.prefix(8)).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try ChildProcess(executable: "\(binaries)/intellicore-cli", arguments: arguments, environment: environment, logPath: log)
        guard try await process.waitForExit(timeout: timeout) else {
            process.signal(SIGKILL)
            return (-1, process.output + "\n(timed out after \(timeout))")
        }
        let raw = process.exitStatus ?? -1
        return (raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F), process.output)
    }

    @Test func theDemoRunsEveryStepAndTheCLIWorksAsATenantUsesIt() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: Self.services)
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let environment = Self.environment(stack)

        let demo = try await Self.cli(["demo"], environment, timeout: .seconds(420))
        print("DemoTests: intellicore demo exited \(demo.status):\n\(demo.output)")
        try #require(demo.status == 0, "the demo failed: \(demo.output.suffix(2500))\n\(stack.logs)")
        #expect(demo.output.contains("[11/11]") && demo.output.contains("Demo complete: 15 checks held"))
        #expect(!demo.output.contains("✗"))

        // As the demo's tenant, with its developer key.
        let key = try #require(demo.output.firstMatch(of: /INTELLICORE_KEY=(ic_[A-Za-z0-9_-]+)/)?.1).description
        let tenant = try #require(demo.output.firstMatch(of: /tenant (demo-[0-9]+)/)?.1).description
        var asTenant = environment
        asTenant["INTELLICORE_KEY"] = key

        let listed = try await Self.cli(["datasets", "list", "--json"], asTenant)
        #expect(listed.status == 0 && listed.output.contains("\"breast-cancer\""), "\(listed)")
        let uploaded = try await Self.cli(["datasets", "upload", "breast-cancer", Self.fixture], asTenant)
        #expect(uploaded.status == 0 && uploaded.output.contains("version 2: sealed") && uploaded.output.contains("569 rows accepted"), "\(uploaded)")
        #expect(uploaded.output.contains("uploading breast-cancer-wisconsin.csv"), "the upload shows its progress: \(uploaded.output)")

        let shown = try await Self.cli(["models", "show", "diagnosis"], asTenant)
        #expect(shown.status == 0 && shown.output.contains("logistic_regression") && shown.output.contains("mlp"), "\(shown)")
        let history = try await Self.cli(["models", "history", "diagnosis"], asTenant)
        #expect(history.status == 0 && history.output.contains("rollback") && history.output.contains("gate"), "\(history)")

        // Five rows of the fixture, target column and all: the CLI sends only the model's features.
        let rows = try String(contentsOfFile: Self.fixture, encoding: .utf8).split(separator: "\n").prefix(6).joined(separator: "\n")
        let file = NSTemporaryDirectory() + "it-cli-rows-\(UUID().uuidString.prefix(8)).csv"
        try rows.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let predicted = try await Self.cli(["predict", "diagnosis", "--file", file], asTenant)
        #expect(predicted.status == 0, "\(predicted)")
        #expect(predicted.output.split(separator: "\n").filter { $0.hasPrefix("1 ") || $0.hasPrefix("5 ") }.count == 2, "a row per input: \(predicted.output)")
        #expect(predicted.output.contains("class 1 (malignant)"), "the fixture's first row, named by the target's categories: \(predicted.output)")

        let tailed = try await Self.cli(["events", "tail", "models", "--from-beginning", "--tenant", tenant, "--type", "model.deployed", "--limit", "1",
                                         "--seconds", "60", "--json"], asTenant)
        #expect(tailed.status == 0 && tailed.output.contains("\"type\":\"intellicore.model.deployed.v1\""), "\(tailed)")

        let usage = try await Self.cli(["usage", "--meter", "predictions"], asTenant)
        #expect(usage.status == 0 && usage.output.contains("diagnosis"), "\(usage)")

        // Exit statuses that mean something, and errors that say what to do next.
        var wrongKey = asTenant
        wrongKey["INTELLICORE_KEY"] = "ic_not-a-key"
        let refused = try await Self.cli(["datasets", "list"], wrongKey)
        #expect(refused.status == 1 && refused.output.contains("401") && refused.output.contains("INTELLICORE_KEY"), "\(refused)")
        var nowhere = asTenant
        nowhere["INTELLICORE_GATEWAY_URL"] = "http://127.0.0.1:\(try freePort())"
        let unreachable = try await Self.cli(["datasets", "list"], nowhere)
        #expect(unreachable.status == 3 && unreachable.output.contains("dev status"), "\(unreachable)")
        let usageError = try await Self.cli(["predict"], asTenant)
        #expect(usageError.status == 64, "\(usageError)")
        let failedJob = try await Self.cli(["train", "broken", "--dataset", "breast-cancer", "--algorithm", "linear_regression"], asTenant)
        #expect(failedJob.status == 4 && failedJob.output.contains("use logistic_regression"), "a job that cannot train ends 4 with its reason: \(failedJob)")
        print("DemoTests: wrong key → \(refused.status), unreachable → \(unreachable.status), bad command line → \(usageError.status), untrainable job → \(failedJob.status)")
        #expect(try await stack.stop())
    }
}
