/// What an `AuditRecorded` says someone did: `<resource kind>.<verb>`.
public enum AuditAction: String, Sendable, CaseIterable, Codable {
    case tenantCreate = "tenant.create"
    case apiKeyIssue = "api_key.issue"
    case apiKeyRevoke = "api_key.revoke"
    case trainingSubmit = "training.submit"
    case trainingCancel = "training.cancel"
    case modelDeploy = "model.deploy"
    case modelRollback = "model.rollback"
    case datasetRegister = "dataset.register"
    case datasetEvolve = "dataset.evolve"
    case datasetUpload = "dataset.upload"
    case datasetSeal = "dataset.seal"
}

/// How a command ended, as `AuditRecorded.outcome` says it.
public enum AuditOutcome: String, Sendable, CaseIterable, Codable {
    /// Accepted and carried out (or, for a command, accepted and published).
    case succeeded
    /// Refused by the service that recorded it.
    case rejected
}
