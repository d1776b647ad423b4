import Foundation
import IntelliCoreEvents
import IntelliCoreModels
import IntelliCoreNumerics
import IntelliCorePostgres
import PostgresNIO
import Testing

/// Training jobs end to end on the local stack: dataset uploaded through ingestion → job →
/// progress → registered version → gate → `ModelDeployed` → inference answers with it; deploy,
/// rollback and the alias history; jobs that cannot succeed fail with their reason; a cancelled
/// job ends once; an orchestrator killed mid-training resumes from its checkpoint and registers
/// exactly one version.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct TrainingJobTests {
    typealias HTTP = GatewayStack

    static let schema = #"""
        {"name":"churn-training","target":"churned","columns":[
          {"name":"tenure","type":"number"},
          {"name":"spend","type":"number","nullable":true},
          {"name":"plan","type":"category","categories":["free","pro","team"]},
          {"name":"churned","type":"boolean"}]}
        """#

    /// Rows whose target follows a noisy linear rule of the three features (some spends missing).
    static func csv(rows: Int, seed: UInt64 = 5) -> String {
        var generator = SeededGenerator(seed: seed)
        var text = "tenure,spend,plan,churned\n"
        for row in 0..<rows {
            let tenure = Double.random(in: 0...60, using: &generator), spend = Double.random(in: 5...200, using: &generator)
            let plan = Int.random(in: 0..<3, using: &generator)
            let score = 0.08 * (30 - tenure) + 0.01 * (spend - 100) + [0.8, -0.4, -0.6][plan] + Double.random(in: -0.3...0.3, using: &generator)
            text += "\(String(format: "%.3f", tenure)),\(row % 53 == 0 ? "" : String(format: "%.2f", spend)),\(["free", "pro", "team"][plan]),\(score > 0)\n"
        }
        return text
    }

    /// Registers the dataset and uploads `rows` rows; returns its id.
    static func dataset(_ stack: GatewayStack, key: String, rows: Int) async throws -> String {
        let port = stack.ingestionPort
        let registered = await HTTP.http("POST", port: port, "/v1/datasets", key: key, body: schema)
        guard registered.status == 201, let id = registered.json["dataset_id"] as? String else {
            throw SetupError("register: \(registered.status) \(registered.body)")
        }
        let uploaded = try await DatasetTests.upload(port, key: key, dataset: id, Data(csv(rows: rows).utf8))
        guard uploaded.status == 201 else { throw SetupError("upload: \(uploaded.status) \(uploaded.body)") }
        return id
    }

    static func submit(_ stack: GatewayStack, key: String, _ body: String) async throws -> String {
        let answer = await HTTP.http("POST", port: stack.ingestionPort, "/v1/commands/training-jobs", key: key, body: body)
        guard answer.status == 202, let job = answer.json["job_id"] as? String else { throw SetupError("submit: \(answer.status) \(answer.body)") }
        return job
    }

    /// The events on `topic` whose subject starts with `subject`, in partition order, read until `done` holds.
    static func events(_ stack: GatewayStack, _ topic: Topic, subject: String, timeout: Duration = .seconds(90),
                       until done: ([CloudEvent]) -> Bool) async throws -> [CloudEvent] {
        var found: [CloudEvent] = []
        _ = try await eventually(timeout: timeout) {
            let messages = try await stack.env.readToEnd(stack.topic(topic), partitions: 2)
            found = messages.compactMap { message in
                guard let event = try? CloudEvent(kafkaHeader: { name in message.headers.last { $0.name == name }?.value }, value: message.value),
                      event.subject?.hasPrefix(subject) == true else { return nil }
                return event
            }
            return done(found)
        }
        return found
    }

    /// The job's completion, or an error that carries the reason it failed or was cancelled.
    static func completion(_ events: [CloudEvent]) throws -> ModelTrainingCompleted {
        guard let last = events.last else { throw SetupError("the job published no events") }
        if last.type == ModelTrainingFailed.eventType { throw SetupError("the job failed: \(try last.decode(as: ModelTrainingFailed.self).reason)") }
        return try last.decode(as: ModelTrainingCompleted.self)
    }

    static let terminal: Set<String> = [ModelTrainingCompleted.eventType, ModelTrainingFailed.eventType, ModelTrainingCancelled.eventType]

    @Test func trainedVersionIsGatedDeployedServedAndRolledBack() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion", "training-orchestrator", "inference"],
                                           environment: ["TRAINING_DATA_WAIT_SECONDS": "20"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let suffix = UInt32.random(in: 0...UInt32.max)
        let tenant = "tj-\(suffix)"
        let keys = try await stack.tenant(tenant), other = try await stack.tenant("tj-other-\(suffix)")
        let developer = try #require(keys["developer"]), outsider = try #require(other["developer"])
        let dataset = try await Self.dataset(stack, key: developer, rows: 1200)
        let started = ContinuousClock.now

        // 1. A gated job: trained, registered, validated, deployed as champion.
        let first = try await Self.submit(stack, key: developer, """
            {"model_name":"churn","dataset_id":"\(dataset)","algorithm":"logistic_regression","target":"churned",
             "hyperparameters":{"epochs":40,"seed":7},"validation_gate":{"metric":"accuracy","threshold":0.8},"retrain_on_drift":true}
            """)
        let lifecycle = try await Self.events(stack, .trainingEvents, subject: first) { $0.contains { Self.terminal.contains($0.type) } }
        let types = lifecycle.map(\.type)
        #expect(types.first == ModelTrainingQueued.eventType && types.dropFirst().first == ModelTrainingStarted.eventType, "\(types)")
        #expect(types.last == ModelTrainingCompleted.eventType, "\(types) — \(stack.logs)")
        #expect(types.filter { $0 == ModelTrainingProgress.eventType }.count >= 2, "a progress event per epoch: \(types)")
        let completed = try Self.completion(lifecycle)
        #expect(completed.version == 1)
        #expect(completed.durationSeconds > 0, "the job's duration is measured (billing's training meter): \(completed.durationSeconds)")
        let accuracy = try #require(completed.metrics["accuracy"])
        #expect(accuracy > 0.85, "validation accuracy \(accuracy)")
        for metric in ["precision", "recall", "f1", "roc_auc", "log_loss"] { #expect(completed.metrics[metric] != nil, "\(metric) reported") }

        let models = try await Self.events(stack, .models, subject: "churn") { $0.contains { $0.type == ModelDeployed.eventType } }
        let deployedAt = ContinuousClock.now - started
        #expect(models.map(\.type) == [ModelVersionRegistered.eventType, ModelValidated.eventType, ModelDeployed.eventType], "\(models.map(\.type))")
        let registered = try #require(models.first).decode(as: ModelVersionRegistered.self)
        #expect(registered.tenantId == tenant && registered.version == 1 && registered.featureBaseline?.count == 3)
        let deployed = try #require(models.last).decode(as: ModelDeployed.self)
        #expect(deployed.alias == "champion" && deployed.version == 1)
        print("TrainingJobTests: TrainingRequested → ModelDeployed in \(deployedAt) (1,200 rows, logistic_regression, 40 epochs), accuracy \(accuracy)")

        // 2. Inference answers with the new version exactly as a local forward pass of its artifact.
        let network = try FeedForwardNetwork(try ArtifactCodec.decode(json: try ArtifactCodec.unpack(registered.artifact)))
        let row: [Float] = [3, 150, 0] // short tenure, high spend, free plan: churns
        let expected = try row.withUnsafeBufferPointer { try network.predict($0, rows: 1, backend: OpenBLASBackend()) }
        let body = #"{"id":"tj-1","inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[3,150,0]}]}"#
        var answer = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(30)) {
            answer = await HTTP.http("POST", port: stack.ingestionPort, "/v2/models/churn/infer", key: developer, body: body)
            return answer.status == 200
        }, "\(answer.status) \(answer.body)")
        let data = try #require(((answer.json["outputs"] as? [[String: Any]])?.first)?["data"] as? [Double])
        try #require(data.count == expected.count && expected.count == 2)
        #expect(zip(data, expected).allSatisfy { abs($0 - Double($1)) < 1e-5 }, "\(data) vs \(expected)")
        #expect(data[1] > 0.5, "the churning customer is predicted to churn: \(data)")
        #expect(answer.json["model_version"] as? String == "1")

        // 3. A second version without a gate, deployed by command, then rolled back.
        let second = try await Self.submit(stack, key: developer, """
            {"model_name":"churn","dataset_id":"\(dataset)","algorithm":"mlp","target":"churned","priority":7,
             "hyperparameters":{"hidden_layers":[16],"epochs":20,"patience":5}}
            """)
        let secondEvents = try await Self.events(stack, .trainingEvents, subject: second) { $0.contains { Self.terminal.contains($0.type) } }
        #expect(secondEvents.last?.type == ModelTrainingCompleted.eventType, "\(secondEvents.map(\.type)) — \(stack.logs)")
        #expect(try Self.completion(secondEvents).version == 2)
        var deploy = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(20)) {
            deploy = await HTTP.http("POST", port: stack.ingestionPort, "/v1/commands/models/churn/deploy", key: developer, body: #"{"version":2}"#)
            return deploy.status == 202
        }, "\(deploy.status) \(deploy.body)")
        _ = try await Self.events(stack, .models, subject: "churn") { $0.filter { $0.type == ModelDeployed.eventType }.count == 2 }
        var rollback = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(20)) {
            rollback = await HTTP.http("POST", port: stack.ingestionPort, "/v1/commands/models/churn/rollback", key: developer,
                                       body: #"{"reason":"canary errors"}"#)
            return rollback.status == 202
        }, "\(rollback.status) \(rollback.body)")
        let moves = try await Self.events(stack, .models, subject: "churn") { $0.contains { $0.type == ModelRolledBack.eventType } }
        let rolledBack = try #require(moves.last { $0.type == ModelRolledBack.eventType }).decode(as: ModelRolledBack.self)
        #expect(rolledBack.fromVersion == 2 && rolledBack.toVersion == 1)

        // 4. The read API: alias history with every move, the run's metric history, tenant isolation.
        let orchestrator = try #require(stack.ports["training-orchestrator"])
        let history = await HTTP.http("GET", port: orchestrator, "/v1/training/models/churn/aliases/history", key: developer)
        let items = try #require(history.json["items"] as? [[String: Any]], "\(history.body)")
        #expect(items.map { $0["action"] as? String ?? "" } == ["rollback", "deploy", "gate"], "\(history.body)")
        #expect(items.map { $0["to_version"] as? Int ?? 0 } == [1, 2, 1], "\(history.body)")
        #expect(items.first?["reason"] as? String == "canary errors")
        let job = await HTTP.http("GET", port: orchestrator, "/v1/training/jobs/\(first)", key: developer)
        #expect(job.json["status"] as? String == "completed" && job.json["version"] as? Int == 1, "\(job.body)")
        let run = try #require(job.json["run_id"] as? String)
        let metrics = await HTTP.http("GET", port: orchestrator, "/v1/training/runs/\(run)/metrics?name=val_loss&limit=100", key: developer)
        let points = try #require(metrics.json["points"] as? [[String: Any]], "\(metrics.body)")
        #expect(points.count == (completed.metrics["epochs_run"].map { Int($0) } ?? -1), "one val_loss per epoch run: \(points.count)")
        let versions = await HTTP.http("GET", port: orchestrator, "/v1/training/models/churn/versions", key: developer)
        #expect((versions.json["items"] as? [[String: Any]])?.map { $0["version"] as? Int ?? 0 } == [2, 1], "\(versions.body)")
        #expect(await HTTP.http("GET", port: orchestrator, "/v1/training/jobs/\(first)", key: outsider).status == 404)
        #expect(await HTTP.http("GET", port: orchestrator, "/v1/training/models/churn/versions", key: outsider).status == 404)
        #expect(await HTTP.http("GET", port: orchestrator, "/v1/training/jobs", key: nil).status == 401)

        // 5. Jobs that cannot succeed end ModelTrainingFailed with a reason a person can act on.
        let failing: [(String, String)] = [
            (#""dataset_id":"no-such-dataset","algorithm":"mlp","target":"churned""#, "does not exist"),
            (#""dataset_id":"\#(dataset)","algorithm":"mlp","target":"loyalty""#, "is not a column"),
            (#""dataset_id":"\#(dataset)","algorithm":"linear_regression","target":"churned""#, "predicts numbers"),
            (#""dataset_id":"\#(dataset)","algorithm":"mlp","target":"churned","deadline":"%SOON%","hyperparameters":{"hidden_layers":[64,64],"epochs":1000,"batch_size":8,"patience":0}"#,
             "deadline"),
        ]
        for (fields, reason) in failing {
            let soon = EventCodec.formatTime(Date().addingTimeInterval(4))
            let job = try await Self.submit(stack, key: developer, #"{"model_name":"broken",\#(fields.replacingOccurrences(of: "%SOON%", with: soon))}"#)
            let events = try await Self.events(stack, .trainingEvents, subject: job) { $0.contains { Self.terminal.contains($0.type) } }
            let failure = try #require(events.last { $0.type == ModelTrainingFailed.eventType }, "\(events.map(\.type))").decode(as: ModelTrainingFailed.self)
            #expect(failure.reason.contains(reason), "\(failure.reason)")
        }
        #expect(try await Self.events(stack, .models, subject: "broken", timeout: .seconds(1)) { _ in false }.isEmpty, "no version of a failed job")

        // 6. Drift: the first job set the model's retraining policy. Two alerts (two features
        //    drifted) start one job, on the latest sealed version; another tenant's alert none.
        let drift = DataDriftDetected(modelName: "churn", modelVersion: "1", feature: "tenure", statistic: "psi", value: 0.41, threshold: 0.2,
                                      windowStart: Date().addingTimeInterval(-300), windowEnd: Date(), severity: .warning)
        try await stack.publish(drift, key: "churn", tenant: tenant)
        try await stack.publish(drift, key: "churn", tenant: tenant)
        try await stack.publish(drift, key: "churn", tenant: "tj-other-\(suffix)")
        func queued() async throws -> [ModelTrainingQueued] {
            try await env.readToEnd(stack.topic(.trainingEvents), partitions: 2).compactMap { message in
                try? CloudEvent(kafkaHeader: { name in message.headers.last { $0.name == name }?.value }, value: message.value)
            }.filter { $0.subject?.hasPrefix("job-") == true && $0.type == ModelTrainingQueued.eventType }
                .map { try $0.decode(as: ModelTrainingQueued.self) }
        }
        #expect(try await eventually(timeout: .seconds(30)) { try await queued().filter { $0.modelName == "churn" }.count >= 3 })
        let retrain = try #require(try await queued().last { $0.modelName == "churn" && $0.jobId != first && $0.jobId != second })
        let retrained = try await Self.events(stack, .trainingEvents, subject: retrain.jobId) { $0.contains { Self.terminal.contains($0.type) } }
        #expect(try Self.completion(retrained).version == 3, "\(retrained.map(\.type))")
        #expect(try await queued().filter { $0.modelName == "churn" }.count == 3, "one retraining per interval, none for the other tenant")
        #expect(try await stack.stop())
    }

    @Test func cancelledJobEndsOnceAndKilledOrchestratorResumesFromItsCheckpoint() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        var stack = try await GatewayStack(env: env, services: ["ingestion", "training-orchestrator"],
                                           environment: ["TRAINING_LEASE_SECONDS": "3", "TRAINING_DATA_WAIT_SECONDS": "20"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let suffix = UInt32.random(in: 0...UInt32.max)
        let keys = try await stack.tenant("tk-\(suffix)")
        let developer = try #require(keys["developer"])
        let dataset = try await Self.dataset(stack, key: developer, rows: 4000)
        let slow = #""algorithm":"mlp","target":"churned","hyperparameters":{"hidden_layers":[64,64],"epochs":300,"batch_size":16,"patience":0,"checkpoint_every":5}"#
        let client = env.postgres.makeClient(logger: env.logger)
        let schema = stack.schema("training")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            func epoch(_ job: String) async throws -> (status: String, epoch: Int)? {
                let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT status, epoch FROM \(schema).jobs WHERE job_id = '\(job)'"), logger: env.logger)
                for try await row in rows.decode((String, Int).self) { return row }
                return nil
            }

            // Cancel while it runs: one ModelTrainingCancelled, no completion, no version.
            let cancelled = try await Self.submit(stack, key: developer, #"{"model_name":"cancel-me","dataset_id":"\#(dataset)",\#(slow)}"#)
            #expect(try await eventually(timeout: .seconds(60)) { (try await epoch(cancelled)?.epoch ?? 0) >= 2 }, "\(stack.logs)")
            let cancel = await HTTP.http("POST", port: stack.ingestionPort, "/v1/commands/training-jobs/\(cancelled)/cancel", key: developer,
                                         body: #"{"reason":"wrong features"}"#)
            #expect(cancel.status == 202, "\(cancel.body)")
            let events = try await Self.events(stack, .trainingEvents, subject: cancelled) { $0.contains { Self.terminal.contains($0.type) } }

            // Kill -9 mid-training, after a checkpoint: the restarted orchestrator resumes from it.
            let job = try await Self.submit(stack, key: developer, #"{"model_name":"resume-me","dataset_id":"\#(dataset)",\#(slow)}"#)
            // The only worker trains the next job: it has left the cancelled one, whatever it did after the cancel is out.
            #expect(try await eventually(timeout: .seconds(90)) { (try await epoch(job)?.epoch ?? 0) >= 1 }, "\(stack.logs)")
            let after = try await Self.events(stack, .trainingEvents, subject: cancelled, timeout: .seconds(2)) { _ in false }
            #expect(after.filter { Self.terminal.contains($0.type) }.map(\.type) == [ModelTrainingCancelled.eventType], "\(after.map(\.type))")
            #expect(after.count - events.count <= 1, "at most the epoch in flight reports after the cancel: \(events.count) → \(after.count)")
            #expect(try await epoch(cancelled)?.status == "cancelled")
            #expect(try await eventually(timeout: .seconds(90)) { (try await epoch(job)?.epoch ?? 0) >= 12 }, "\(stack.logs)")
            let orchestrator = try #require(stack.processes["training-orchestrator"])
            orchestrator.signal(SIGKILL)
            #expect(try await orchestrator.waitForExit(timeout: .seconds(10)))
            let atKill = try #require(try await epoch(job))
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT epoch FROM \(schema).checkpoints WHERE job_id = '\(job)'"), logger: env.logger)
            var checkpoint = 0
            for try await saved in rows.decode(Int.self) { checkpoint = saved }
            try #require(atKill.status == "running" && atKill.epoch < 300, "the kill must land mid-training: \(atKill)")
            #expect(checkpoint >= 10 && checkpoint % 5 == 0, "checkpoint at epoch \(checkpoint)")
            try stack.start("training-orchestrator")
            #expect(try await stack.ready())
            let lifecycle = try await Self.events(stack, .trainingEvents, subject: job, timeout: .seconds(240)) {
                $0.contains { Self.terminal.contains($0.type) }
            }
            let types = lifecycle.map(\.type)
            #expect(types.filter { Self.terminal.contains($0) } == [ModelTrainingCompleted.eventType], "\(types) — \(stack.logs)")
            let starts = try lifecycle.filter { $0.type == ModelTrainingStarted.eventType }.map { try $0.decode(as: ModelTrainingStarted.self) }
            #expect(starts.map(\.attempt) == [1, 2], "\(starts.map(\.attempt))")
            #expect(Set(starts.map(\.runId)).count == 1, "both attempts belong to one run")
            let secondStart = try #require(lifecycle.firstIndex { $0.type == ModelTrainingStarted.eventType && (try? $0.decode(as: ModelTrainingStarted.self).attempt) == 2 })
            let resumed = try lifecycle[secondStart...].first { $0.type == ModelTrainingProgress.eventType }.map { try $0.decode(as: ModelTrainingProgress.self) }
            #expect(resumed?.epoch == checkpoint + 1, "resumed at epoch \(String(describing: resumed?.epoch)) after the checkpoint at \(checkpoint), killed at \(atKill.epoch)")
            print("TrainingJobTests: killed at epoch \(atKill.epoch), checkpoint \(checkpoint), resumed at \(resumed?.epoch ?? -1)")
            let registered = try await Self.events(stack, .models, subject: "resume-me", timeout: .seconds(5)) { _ in false }
            #expect(registered.filter { $0.type == ModelVersionRegistered.eventType }.count == 1, "one version: \(registered.map(\.type))")
            #expect(try await Self.events(stack, .models, subject: "cancel-me", timeout: .seconds(1)) { _ in false }.isEmpty)
        }
        #expect(try await stack.stop())
    }

    @Test func queuedJobsRunByPriorityWithinEachTenantsLimit() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion", "training-orchestrator"],
                                           environment: ["TRAINING_WORKERS": "2", "TRAINING_TENANT_CONCURRENCY": "1", "TRAINING_DATA_WAIT_SECONDS": "20"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let suffix = UInt32.random(in: 0...UInt32.max)
        let a = try #require(try await stack.tenant("tpa-\(suffix)")["developer"]), b = try #require(try await stack.tenant("tpb-\(suffix)")["developer"])
        let datasetA = try await Self.dataset(stack, key: a, rows: 3000), datasetB = try await Self.dataset(stack, key: b, rows: 300)
        let orchestrator = try #require(stack.ports["training-orchestrator"])
        func job(_ id: String, key: String) async -> [String: Any] {
            await HTTP.http("GET", port: orchestrator, "/v1/training/jobs/\(id)", key: key).json
        }
        let quick = #""algorithm":"logistic_regression","target":"churned","hyperparameters":{"epochs":5}"#
        // A's long job takes A's only slot.
        let blocker = try await Self.submit(stack, key: a, #"{"model_name":"blocker","dataset_id":"\#(datasetA)","algorithm":"mlp","target":"churned","hyperparameters":{"hidden_layers":[64,64],"epochs":300,"batch_size":16,"patience":0}}"#)
        #expect(try await eventually(timeout: .seconds(60)) { await job(blocker, key: a)["status"] as? String == "running" })
        // Queued behind it: a low and a high priority job of A (low first); B's job is not A's to wait for.
        let low = try await Self.submit(stack, key: a, #"{"model_name":"low","dataset_id":"\#(datasetA)","priority":1,\#(quick)}"#)
        let high = try await Self.submit(stack, key: a, #"{"model_name":"high","dataset_id":"\#(datasetA)","priority":9,\#(quick)}"#)
        let other = try await Self.submit(stack, key: b, #"{"model_name":"other","dataset_id":"\#(datasetB)",\#(quick)}"#)
        #expect(try await eventually(timeout: .seconds(60)) { await job(other, key: b)["status"] as? String == "completed" }, "\(stack.logs)")
        #expect(await job(blocker, key: a)["status"] as? String == "running", "the other tenant's job ran beside A's")
        let waiting = (await job(low, key: a)["status"] as? String, await job(high, key: a)["status"] as? String)
        #expect(waiting.0 == "queued" && waiting.1 == "queued", "A's limit of one running job held its other jobs back: \(waiting)")
        let cancel = await HTTP.http("POST", port: stack.ingestionPort, "/v1/commands/training-jobs/\(blocker)/cancel", key: a, body: "{}")
        #expect(cancel.status == 202, "\(cancel.body)")
        #expect(try await eventually(timeout: .seconds(60)) {
            let (l, h) = (await job(low, key: a), await job(high, key: a))
            return l["status"] as? String == "completed" && h["status"] as? String == "completed"
        }, "\(stack.logs)")
        let (l, h) = (await job(low, key: a), await job(high, key: a))
        let lowStarted = try #require((l["started_at"] as? String).flatMap(EventCodec.parseTime))
        let highFinished = try #require((h["finished_at"] as? String).flatMap(EventCodec.parseTime))
        #expect(highFinished <= lowStarted, "the higher priority ran first, one at a time: high finished \(highFinished), low started \(lowStarted)")
        #expect(try await stack.stop())
    }
}
