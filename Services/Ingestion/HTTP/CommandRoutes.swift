import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Commands for the training orchestrator: submit and cancel training jobs, deploy and roll back
/// model versions. Each is validated against what the gateway materialised (another tenant's
/// model or job is answered like a missing one), written to the outbox with its `AuditRecorded`
/// in one transaction, and answered `202 Accepted` with the ids to follow. `Idempotency-Key`
/// makes a retried command return its first answer (`IdempotentCommand`).
struct CommandRoutes: Sendable {
    let context: ServiceContext
    let catalog: ModelCatalog
    let jobs: JobStore

    func add(to api: RouterGroup<APIRequestContext>) {
        api.post("/v1/commands/training-jobs") { request, context in
            let caller = try context.requireCaller(.developer)
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context) { bytes, transaction in
                let body = try JSONRequestBody.decode(TrainingJobCommand.self, from: bytes)
                let command = try body.validated(jobId: "job-\(UUID().uuidString.lowercased())", tenant: caller.tenantId)
                try await jobs.create(jobId: command.jobId, tenant: caller.tenantId, model: command.modelName,
                                      on: transaction.connection, logger: transaction.logger)
                try await transaction.publish(command, key: command.modelName, subject: command.jobId, tenantId: caller.tenantId)
                try await transaction.audit(.trainingSubmit, by: caller, resource: "training-jobs/\(command.jobId)",
                                            details: ["model_name": .string(command.modelName), "algorithm": .string(command.algorithm)])
                return try CommandAnswer(.accepted, Accepted(jobId: command.jobId, modelName: command.modelName, status: JobStatus.requested.rawValue))
            }
        }

        api.post("/v1/commands/training-jobs/:job/cancel") { request, context in
            let caller = try context.requireCaller(.developer)
            let jobId = try context.parameters.require("job")
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context, allowEmpty: true) { bytes, transaction in
                let body = bytes.isEmpty ? CancelCommand(reason: nil) : try JSONRequestBody.decode(CancelCommand.self, from: bytes)
                guard let job = try await jobs.lock(jobId: jobId, tenant: caller.tenantId, on: transaction.connection, logger: transaction.logger) else {
                    throw APIError.notFound("training job \(jobId) does not exist", code: "unknown_job")
                }
                guard !job.status.isFinished else {
                    throw APIError.conflict("training job \(jobId) already finished (\(job.status.rawValue)); there is nothing to cancel",
                                            code: "job_finished", details: ["status": job.status.rawValue])
                }
                let reason = try body.reason.map { try CommandText.reason($0) }
                // Asked again before the orchestrator answered: the cancellation is on its way,
                // nothing new is published or audited.
                if job.status == .cancelRequested {
                    return try CommandAnswer(.accepted, Accepted(jobId: jobId, modelName: job.model, status: JobStatus.cancelRequested.rawValue))
                }
                try await jobs.advance(jobId: jobId, tenant: caller.tenantId, model: job.model, to: .cancelRequested,
                                       on: transaction.connection, logger: transaction.logger)
                try await transaction.publish(TrainingCancelRequested(jobId: jobId, modelName: job.model, reason: reason),
                                              key: job.model, subject: jobId, tenantId: caller.tenantId)
                try await transaction.audit(.trainingCancel, by: caller, resource: "training-jobs/\(jobId)",
                                            details: reason.map { ["reason": .string($0)] })
                return try CommandAnswer(.accepted, Accepted(jobId: jobId, modelName: job.model, status: JobStatus.cancelRequested.rawValue))
            }
        }

        api.post("/v1/commands/models/:model/deploy") { request, context in
            let caller = try context.requireCaller(.developer)
            let key = ModelKey(tenant: caller.tenantId, model: try context.parameters.require("model"))
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context) { bytes, transaction in
                let body = try JSONRequestBody.decode(DeployCommand.self, from: bytes)
                let command = try body.validated(model: key.model, against: try requireModel(key), requestedBy: caller.keyId)
                try await transaction.publish(command, key: key.model, subject: key.model, tenantId: caller.tenantId)
                var details: [String: JSONValue] = ["alias": .string(command.alias), "version": .number(Double(command.version))]
                if let shadow = command.trafficPolicy?.shadowVersion { details["shadow_version"] = .number(Double(shadow)) }
                try await transaction.audit(.modelDeploy, by: caller, resource: "models/\(key.model)/versions/\(command.version)", details: details)
                return try CommandAnswer(.accepted, DeployAccepted(modelName: key.model, alias: command.alias, version: command.version,
                                                                   trafficPolicy: command.trafficPolicy ?? .single(command.version)))
            }
        }

        api.post("/v1/commands/models/:model/rollback") { request, context in
            let caller = try context.requireCaller(.developer)
            let key = ModelKey(tenant: caller.tenantId, model: try context.parameters.require("model"))
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context, allowEmpty: true) { bytes, transaction in
                let body = bytes.isEmpty ? RollbackCommand(alias: nil, reason: nil) : try JSONRequestBody.decode(RollbackCommand.self, from: bytes)
                let alias = body.alias ?? ModelAlias.champion
                guard let deployment = try requireModel(key).deployments[alias] else {
                    throw APIError.conflict("model \(key.model) has no deployment under alias \(alias)", code: PredictionFailureCode.notDeployed.rawValue,
                                            details: ["alias": alias])
                }
                guard let target = deployment.previousVersion else {
                    throw APIError.conflict("alias \(alias) of model \(key.model) has no earlier version to roll back to", code: "nothing_to_roll_back",
                                            details: ["alias": alias])
                }
                let reason = try body.reason.map { try CommandText.reason($0) }
                try await transaction.publish(ModelRollbackRequested(modelName: key.model, alias: alias, reason: reason, requestedBy: caller.keyId),
                                              key: key.model, subject: key.model, tenantId: caller.tenantId)
                try await transaction.audit(.modelRollback, by: caller, resource: "models/\(key.model)/aliases/\(alias)",
                                            details: ["from_version": .number(Double(deployment.version)), "to_version": .number(Double(target))])
                return try CommandAnswer(.accepted, RollbackAccepted(modelName: key.model, alias: alias, fromVersion: deployment.version, toVersion: target))
            }
        }
    }

    /// The caller's model, or the 404 another tenant's model gets too.
    private func requireModel(_ key: ModelKey) throws -> CatalogModel {
        guard let model = catalog.model(key) else {
            throw APIError.notFound("model \(key.model) does not exist", code: PredictionFailureCode.unknownModel.rawValue)
        }
        return model
    }

    struct Accepted: Encodable {
        let jobId: String
        let modelName: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case jobId = "job_id", modelName = "model_name", status
        }
    }

    struct DeployAccepted: Encodable {
        let modelName: String
        let alias: String
        let version: Int
        let trafficPolicy: TrafficPolicy
        let status = "requested"

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", alias, version, trafficPolicy = "traffic_policy", status
        }
    }

    struct RollbackAccepted: Encodable {
        let modelName: String
        let alias: String
        let fromVersion: Int
        let toVersion: Int
        let status = "requested"

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", alias, fromVersion = "from_version", toVersion = "to_version", status
        }
    }
}
