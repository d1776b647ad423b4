import Foundation
import Testing

/// docker-compose.yml, the Caddyfile, Prometheus and Grafana provisioning and both Kubernetes
/// overlays, checked against each other and against the code by `Tests/Deploy/check_deployment.py`
/// (Python with PyYAML from the project's venv, and `kubectl kustomize`): no Docker engine or
/// cluster runs where the tests do, so ports, routes, variables, topics and scaling limits are
/// compared instead. Its self-test breaks copies of those files one way at a time and must catch
/// every breakage, so that a checker gone blind fails too.
@Suite(.timeLimit(.minutes(8)))
struct DeploymentConsistencyTests {
    @Test func deploymentFilesAgreeWithTheCode() async throws {
        let (finished, clean, output) = try await Self.runChecker([])
        print("DeploymentConsistencyTests:\n\(output)")
        #expect(finished && clean, "check_deployment.py found inconsistencies:\n\(output.suffix(4000))")
    }

    @Test func checkerCatchesEveryBreakage() async throws {
        let (finished, clean, output) = try await Self.runChecker(["--self-test"])
        print("DeploymentConsistencyTests (self-test):\n\(output)")
        #expect(finished && clean, "check_deployment.py --self-test missed a breakage:\n\(output.suffix(4000))")
    }

    /// The HTTP reference in docs/api is what scripts/openapi_docs.py renders from the services'
    /// OpenAPI documents: a changed contract without regenerated docs fails here.
    @Test func apiReferenceMatchesTheOpenAPIDocuments() async throws {
        let (finished, clean, output) = try await Self.runChecker(["--check"], script: "scripts/openapi_docs.py")
        print("DeploymentConsistencyTests (API reference): \(output)")
        #expect(finished && clean, "\(output)")
    }

    /// Runs the checker; whether it finished in time, exited 0, and what it printed.
    static func runChecker(_ arguments: [String], script path: String = "Tests/Deploy/check_deployment.py") async throws -> (Bool, Bool, String) {
        let python = try #require(ProcessInfo.processInfo.environment["INTELLICORE_PYTHON"], "INTELLICORE_PYTHON (scripts/env.sh) names the venv")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(path).path
        let log = NSTemporaryDirectory() + "it-deployment-\(UUID().uuidString.prefix(8)).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let checker = try ChildProcess(executable: "\(python)/bin/python", arguments: [script] + arguments,
                                       environment: ProcessInfo.processInfo.environment, logPath: log)
        let finished = try await checker.waitForExit(timeout: .seconds(420))
        return (finished, checker.exitedCleanly, checker.output)
    }
}
