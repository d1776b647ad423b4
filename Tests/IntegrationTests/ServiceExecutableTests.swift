import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite(.serialized, .timeLimit(.minutes(15)))
struct ServiceExecutableTests {
    static let services = ["ingestion", "training-orchestrator", "inference", "monitoring", "billing"]

    /// Each executable starts against the stack, reports ready, and exits 0 on SIGTERM.
    @Test(arguments: services)
    func startsReportsReadyAndStopsCleanly(service: String) async throws {
        let env = try IntegrationEnvironment.load()
        let directory = try #require(env.binaries, "INTELLICORE_BIN must point at the built executables")
        let port = try freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["SERVICE_HTTP_PORT"] = String(port)
        environment["LOG_LEVEL"] = "warning"
        let process = try ChildProcess(executable: "\(directory)/\(service)", arguments: [], environment: environment,
                                       logPath: NSTemporaryDirectory() + "it-\(service)-\(port).log")

        // Up to 120 s: in a loaded full run (load average past 100 on 2 cores) a service once
        // took over 60 s.
        let url = URL(string: "http://127.0.0.1:\(port)/health/ready")!
        let ready = try await eventually(timeout: .seconds(120)) {
            guard process.isRunning else { return false }
            guard let (_, response) = try? await URLSession.shared.data(from: url) else { return false }
            return (response as? HTTPURLResponse)?.statusCode == 200
        }
        let checks = ready ? "" : (try? await URLSession.shared.data(from: url)).map { String(decoding: $0.0, as: UTF8.self) } ?? "no answer"
        #expect(ready, "\(service) did not report ready: \(checks)\n\(process.output.suffix(2000))")
        if let (body, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) {
            #expect(String(decoding: body, as: UTF8.self).contains("# TYPE"))
        }

        // librdkafka's consumer close waits for a group join still in flight, and joins take over
        // a minute on the local broker in a loaded full run (20 s was once too short for the
        // orchestrator's consumers).
        process.signal(SIGTERM)
        let exited = try await process.waitForExit(timeout: .seconds(90))
        #expect(exited, "\(service) did not stop within 90 s of SIGTERM")
        #expect(!exited || process.exitedCleanly, "\(service) did not exit cleanly: \(process.output.suffix(2000))")
    }
}
