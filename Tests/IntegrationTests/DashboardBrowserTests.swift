import Foundation
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import Testing

/// The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven over the
/// DevTools protocol by `Tests/Browser/dashboard_check.py`) loads `/dashboard` with a viewer's
/// key while answers, inputs, training progress and an alert flow; its rendered figures must
/// change from the live stream alone, without a reload, and a screenshot is kept.
@Suite(.timeLimit(.minutes(3)))
struct DashboardBrowserTests {
    @Test func renderedFiguresChangeLiveWithoutAReload() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let python = try #require(ProcessInfo.processInfo.environment["INTELLICORE_PYTHON"], "INTELLICORE_PYTHON (scripts/env.sh) names the venv")
        let stack = try await GatewayStack(env: env, services: ["ingestion", "monitoring"], environment: MonitoringServiceTests.environment)
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let tenant = "dashboard-\(UInt32.random(in: 0...UInt32.max))"
        let keys = try await stack.tenant(tenant)
        let viewer = try #require(keys["viewer"]), port = try #require(stack.ports["monitoring"])
        try await MonitoringServiceTests.register(stack, tenant: tenant, model: "churn")
        #expect(try await MonitoringServiceTests.waitForModels(port, key: viewer, count: 1))
        // Traffic that changes every half second: a varying number of answers, some slow, some
        // failing (an error-rate alert), drifted inputs, and a training job's epochs. One producer
        // for all of it; a round that cannot be sent is recorded, never silently ends the traffic.
        let producer = try env.producer()
        let rounds = Shared(0), sendErrors = Shared([String]())
        @Sendable func messages(_ events: [CloudEvent], _ topic: Topic) -> [KafkaProducerMessage] {
            events.map { event in
                var event = event
                event.tenantId = tenant
                return KafkaProducerMessage(event: event, topic: stack.topic(topic), key: event.subject)
            }
        }
        let traffic = Task { [stack] in
            var round = 0
            while !Task.isCancelled {
                round += 1
                let count = 20 + (round * 37) % 120
                var answers = (0..<count).map {
                    MonitoringServiceTests.answer("b-\(round)-\($0)", model: "churn", tenant: tenant, predicted: $0 % 2,
                                                  seconds: round % 3 == 0 ? 0.4 : 0.02)
                }
                answers += (0..<(round % 4 == 0 ? 12 : 0)).map { MonitoringServiceTests.failure("f-\(round)-\($0)", model: "churn", tenant: tenant) }
                do {
                    let inputs = try (0..<40).map {
                        try MonitoringServiceTests.request("b-\(round)-\($0)", model: "churn", tenure: Float(50 + $0), spend: Float($0 * 5), plan: 2)
                    }
                    var batch = messages(answers, .predictionResults) + messages(inputs, .predictionRequests)
                    if round <= 20 {
                        let progress = ModelTrainingProgress(jobId: "job-dashboard", runId: "run-1", modelName: "churn", epoch: round, epochs: 20,
                                                             metrics: ["loss": 1.0 / Double(round), "val_accuracy": 0.6 + Double(round) / 60])
                        batch.append(KafkaProducerMessage(event: try CloudEvent(progress, source: "/it", subject: "job-dashboard", tenantId: tenant),
                                                          topic: stack.topic(ModelTrainingProgress.topic), key: "job-dashboard"))
                    }
                    for result in try await producer.send(batch) { _ = try result.get() }
                    rounds.update { $0 = round }
                } catch {
                    sendErrors.update { $0.append("round \(round): \(error)") }
                }
                try? await Task.sleep(for: .milliseconds(500)) // pacing: a new round of traffic every half second, not a wait for an effect
            }
        }
        defer { traffic.cancel() }
        let screenshot = NSTemporaryDirectory() + "it-dashboard-\(port).png"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/dashboard_check.py").path
        let browser = try ChildProcess(executable: "\(python)/bin/python", arguments: [script, "http://127.0.0.1:\(port)/dashboard#key=\(viewer)", screenshot, "60"],
                                       environment: ProcessInfo.processInfo.environment,
                                       logPath: NSTemporaryDirectory() + "it-dashboard-\(port).log")
        let finished = try await browser.waitForExit(timeout: .seconds(120))
        traffic.cancel()
        _ = await traffic.result
        await producer.shutdown()
        print("DashboardBrowserTests: \(rounds.value) rounds of traffic sent; send errors: \(sendErrors.value.prefix(5))")
        let output = browser.output
        #expect(finished && browser.exitedCleanly, "the browser check failed: \(output.suffix(2000))")
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "no reading: \(output.suffix(2000))")
        let reading = GatewayStack.json(String(line))
        let first = try #require(reading["first"] as? [String: Any]), second = try #require(reading["second"] as? [String: Any])
        print("DashboardBrowserTests: first \(first)\nDashboardBrowserTests: second \(second)\nDashboardBrowserTests: screenshot \(screenshot)")
        // No reload: the page's load stamp is the same; the live stream alone changed what it shows.
        #expect((first["loaded_at"] as? Double) != nil && (first["loaded_at"] as? Double) == (second["loaded_at"] as? Double))
        #expect((second["updates"] as? Int ?? 0) > (first["updates"] as? Int ?? 0), "updates \(first["updates"] ?? "") → \(second["updates"] ?? "")")
        #expect((first["throughput"] as? String) != (second["throughput"] as? String) || (first["latency"] as? String) != (second["latency"] as? String),
                "the rendered figures did not change in 60 s while \(rounds.value) rounds were sent (errors: \(sendErrors.value.prefix(3)))")
        #expect((second["connection"] as? String) == "live")
        #expect((second["models"] as? Int) == 1 && (second["drift_rows"] as? Int) == 3 && (second["jobs"] as? Int ?? 0) >= 1, "\(second)")
        #expect(FileManager.default.fileExists(atPath: screenshot))
        #expect(try await stack.stop())
    }
}
