import Foundation
import IntelliCoreEvents
import IntelliCoreLearning
import IntelliCoreModels
import IntelliCoreServiceKit
import Logging
import ServiceLifecycle

/// Trains one claimed job: finds its sealed dataset version, builds the table, trains on BLAS
/// with a progress event and metric history per epoch and a checkpoint every N epochs, then —
/// in the one transaction that also marks the job done, and only while this worker holds it —
/// registers the version, publishes `ModelVersionRegistered` and `ModelTrainingCompleted`, and
/// applies the job's validation gate. A failure that no retry can fix ends the job with
/// `ModelTrainingFailed` and its reason; a killed attempt is resumed from the last checkpoint.
struct TrainingJobRunner: Sendable {
    let context: ServiceContext
    let jobs: JobStore
    let data: TrainingDataStore
    let registry: RegistryStore
    let deployer: Deployer
    let retraining: RetrainingStore
    let settings: TrainingSettings

    private var logger: Logger { context.logger }

    func run(_ item: WorkItem, _ completion: QueueWorker.Completion) async throws {
        let found = try await context.transaction { try await jobs.job(item.id, on: $0.connection, logger: $0.logger) }
        guard let job = found, !job.status.isFinished else { return }
        var runId = job.runId
        do {
            guard item.attempt <= item.maxAttempts else {
                throw JobFailure("the orchestrator stopped \(item.attempt - 1) times while training this job (retry limit \(item.maxAttempts))")
            }
            try await train(job, item, completion, runId: &runId)
        } catch let failure as TrainingFailure {
            try await fail(job, item, completion, runId: runId, reason: failure.message)
        } catch let failure as JobFailure {
            try await fail(job, item, completion, runId: runId, reason: failure.reason)
        } catch let error as WorkLeaseLost {
            throw error
        } catch is CancellationError {
            throw WorkLeaseLost(id: job.jobId)
        } catch {
            guard item.attempt >= item.maxAttempts else { throw error }
            try await fail(job, item, completion, runId: runId,
                           reason: "attempt \(item.attempt) of \(item.maxAttempts) failed: \(error)")
        }
    }

    private func train(_ job: JobRecord, _ item: WorkItem, _ completion: QueueWorker.Completion, runId: inout String?) async throws {
        let request = job.request
        let plan = try TrainingPlan(algorithm: request.algorithm, hyperparameters: request.hyperparameters)
        try checkDeadline(request, "before training started")
        let (version, schemaVersion, rowCount) = try await sealedData(for: request, tenant: job.tenantId)
        guard let schema = try await data.schema(request.datasetId, version: schemaVersion, client: context.postgres, logger: logger) else {
            throw JobFailure("dataset \(request.datasetId) has no schema version \(schemaVersion) here")
        }
        var builder = try TableBuilder(schema: schema, target: request.target, features: request.features, algorithm: plan.algorithm)
        try await data.forEachBatch(request.datasetId, version: version, client: context.postgres, logger: logger) { builder.add($0) }
        let table = builder.table()
        guard table.rowCount == rowCount else {
            throw JobFailure("dataset \(request.datasetId) version \(version) holds \(table.rowCount) rows here, not the \(rowCount) it was sealed with")
        }
        let prepared = try PreparedTraining(table: table, plan: plan)

        var parameters = plan.effectiveParameters
        parameters["dataset_id"] = .string(request.datasetId)
        parameters["dataset_version"] = .number(Double(version))
        parameters["target"] = .string(request.target)
        parameters["features"] = .array(table.features.map { .string($0.name) })
        let runParameters = parameters
        let started = try await context.transaction { transaction -> String? in
            guard let run = try await jobs.start(job, attempt: item.attempt, algorithm: plan.algorithm.rawValue, dataset: request.datasetId,
                                                 datasetVersion: version, parameters: runParameters, on: transaction.connection,
                                                 logger: transaction.logger) else { return nil }
            try await transaction.publish(ModelTrainingStarted(jobId: job.jobId, runId: run, tenantId: job.tenantId, modelName: job.modelName,
                                                               algorithm: plan.algorithm.rawValue, attempt: item.attempt),
                                          key: job.jobId, subject: job.jobId, tenantId: job.tenantId)
            return run
        }
        guard let run = started else { throw WorkLeaseLost(id: job.jobId) } // cancelled meanwhile
        runId = run
        logger.info("training started", metadata: ["job.id": "\(job.jobId)", "run.id": "\(run)", "model.name": "\(job.modelName)",
                                                    "algorithm": "\(plan.algorithm.rawValue)", "rows": "\(table.rowCount)",
                                                    "work.attempt": "\(item.attempt)"])

        let trained: (parameters: [Float], metrics: [String: Double])
        if plan.isClosedForm {
            trained = try prepared.solveLinear()
            try await recordEpoch(job, run: run, epoch: 1, epochs: 1, metrics: trained.metrics, checkpoint: nil)
        } else {
            let trainer = prepared.trainer()
            var resume: TrainerState?
            if let saved = try await jobs.checkpoint(jobId: job.jobId, client: context.postgres, logger: logger),
               let state = try? EventCodec.decode(TrainerState.self, from: saved.state), state.parameters.count == prepared.shape.parameterCount {
                resume = state
                logger.info("resuming from checkpoint", metadata: ["job.id": "\(job.jobId)", "epoch": "\(state.epoch)"])
            }
            let final = try await trainer.train(prepared.training, validation: prepared.validation, from: resume,
                                                evaluate: prepared.evaluate) { report, state in
                try checkDeadline(request, "after epoch \(report.epoch)")
                if Task.isShuttingDownGracefully { throw JobInterrupted() }
                let checkpoint = report.epoch % plan.checkpointEvery == 0 ? try EventCodec.encode(state) : nil
                try await recordEpoch(job, run: run, epoch: report.epoch, epochs: report.epochs, metrics: report.metrics, checkpoint: checkpoint)
            }
            let outputs = try trainer.predict(prepared.validation.features, rows: prepared.validation.rows, parameters: final.best)
            var metrics = prepared.evaluate(outputs)
            metrics["epochs_run"] = Double(final.epoch)
            metrics["best_epoch"] = Double(final.bestEpoch)
            trained = (final.best, metrics)
        }
        try await complete(job, request: request, plan: plan, prepared: prepared, trained: trained, run: run, dataset: version,
                           parameters: runParameters, completion)
    }

    /// One epoch's history, progress event and (every N epochs) checkpoint; stops the run when
    /// the job was cancelled meanwhile.
    private func recordEpoch(_ job: JobRecord, run: String, epoch: Int, epochs: Int, metrics: [String: Double], checkpoint: [UInt8]?) async throws {
        try await context.transaction { transaction in
            guard try await jobs.recordEpoch(jobId: job.jobId, runId: run, epoch: epoch, epochs: epochs, metrics: metrics,
                                             on: transaction.connection, logger: transaction.logger) else {
                throw WorkLeaseLost(id: job.jobId)
            }
            if let checkpoint {
                try await jobs.saveCheckpoint(jobId: job.jobId, epoch: epoch, state: checkpoint, on: transaction.connection, logger: transaction.logger)
            }
            try await transaction.publish(ModelTrainingProgress(jobId: job.jobId, runId: run, modelName: job.modelName, epoch: epoch,
                                                                epochs: epochs, metrics: metrics.filter { $0.value.isFinite }),
                                          key: job.jobId, subject: job.jobId, tenantId: job.tenantId)
        }
    }

    private func complete(_ job: JobRecord, request: TrainingRequested, plan: TrainingPlan, prepared: PreparedTraining,
                          trained: (parameters: [Float], metrics: [String: Double]), run: String, dataset version: Int,
                          parameters: [String: JSONValue], _ completion: QueueWorker.Completion) async throws {
        let artifact = prepared.artifact(parameters: trained.parameters)
        _ = try FeedForwardNetwork(artifact) // what inference will accept
        let encoded = try ArtifactCodec.encode(artifact)
        let inputSchema = try RegistryStore.json(artifact.inputSchema)
        let metrics = trained.metrics.filter { $0.value.isFinite }
        let number = try await completion.commit { transaction in
            var registered = ModelVersionRegistered(modelName: job.modelName, version: 0, tenantId: job.tenantId, runId: run,
                                                    algorithm: plan.algorithm.rawValue, artifact: encoded, metrics: metrics,
                                                    parameters: parameters, featureBaseline: prepared.baselines)
            registered.version = try await registry.register(registered, jobId: job.jobId, dataset: request.datasetId, datasetVersion: version,
                                                             inputSchema: inputSchema, on: transaction.connection, logger: transaction.logger)
            try await transaction.publish(registered, key: job.modelName, subject: "\(job.modelName)/\(registered.version)", tenantId: job.tenantId)
            // From the first attempt's start: what the job took, resumes and waits included.
            let duration = try await jobs.secondsSinceStart(jobId: job.jobId, on: transaction.connection, logger: transaction.logger)
            try await jobs.finish(jobId: job.jobId, status: .completed, version: registered.version, on: transaction.connection,
                                  logger: transaction.logger)
            try await transaction.publish(ModelTrainingCompleted(jobId: job.jobId, runId: run, tenantId: job.tenantId, modelName: job.modelName,
                                                                 version: registered.version, metrics: metrics, durationSeconds: duration),
                                          key: job.jobId, subject: job.jobId, tenantId: job.tenantId)
            try await retraining.update(from: request, on: transaction.connection, logger: transaction.logger)
            if let gate = request.validationGate {
                try await deployer.applyGate(gate, tenant: job.tenantId, model: job.modelName, version: registered.version, metrics: metrics,
                                             in: transaction)
            }
            return registered.version
        }
        logger.info("training completed", metadata: ["job.id": "\(job.jobId)", "model.name": "\(job.modelName)", "model.version": "\(number)"])
    }

    private func fail(_ job: JobRecord, _ item: WorkItem, _ completion: QueueWorker.Completion, runId: String?, reason: String) async throws {
        try await completion.commit { transaction in
            try await jobs.finish(jobId: job.jobId, status: .failed, reason: reason, on: transaction.connection, logger: transaction.logger)
            try await transaction.publish(ModelTrainingFailed(jobId: job.jobId, runId: runId, tenantId: job.tenantId, modelName: job.modelName,
                                                              reason: reason, retriable: false, attempt: item.attempt),
                                          key: job.jobId, subject: job.jobId, tenantId: job.tenantId)
        }
        logger.warning("training failed", metadata: ["job.id": "\(job.jobId)", "model.name": "\(job.modelName)", "reason": "\(reason)"])
    }

    private func checkDeadline(_ request: TrainingRequested, _ when: String) throws {
        if let deadline = request.deadline, Date() > deadline {
            throw JobFailure("the job's deadline \(EventCodec.formatTime(deadline)) passed \(when)")
        }
    }

    /// The sealed version the job trains on, waiting up to `TRAINING_DATA_WAIT_SECONDS` for it
    /// to arrive (a job may be requested right after an upload, before its last events got here).
    private func sealedData(for request: TrainingRequested, tenant: String) async throws -> (version: Int, schemaVersion: Int, rows: Int) {
        let deadline = ContinuousClock.now + .seconds(settings.dataWaitSeconds)
        while true {
            let found = try await data.lookup(request.datasetId, version: request.datasetVersion, tenant: tenant, client: context.postgres, logger: logger)
            let problem: String
            switch found {
            case .sealed(let version, let schemaVersion, let rows):
                return (version, schemaVersion, rows)
            case .notSealed(let version, .failed):
                throw JobFailure("dataset \(request.datasetId) version \(version) failed validation; it cannot be trained on")
            case .notSealed(let version, .incomplete):
                throw JobFailure("dataset \(request.datasetId) version \(version) is missing rows here; upload it again")
            case .notSealed(let version, let status):
                problem = "dataset \(request.datasetId) version \(version) is not sealed (\(status.rawValue))"
            case .unknownDataset:
                problem = "dataset \(request.datasetId) does not exist"
            case .unknownVersion:
                problem = "dataset \(request.datasetId) has no version \(request.datasetVersion ?? 0)"
            case .noSealedVersion:
                problem = "dataset \(request.datasetId) has no sealed version yet"
            }
            guard ContinuousClock.now < deadline else { throw JobFailure("\(problem) after waiting \(settings.dataWaitSeconds) s") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

/// The service is shutting down: the attempt stops and the job runs again from its checkpoint.
struct JobInterrupted: Error, CustomStringConvertible {
    var description: String { "the orchestrator shut down mid-training; the job resumes from its last checkpoint" }
}
