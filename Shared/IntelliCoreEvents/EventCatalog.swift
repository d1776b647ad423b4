/// Every domain event type of the platform, looked up by its CloudEvents type string.
public enum EventCatalog {
    public static let all: [any DomainEvent.Type] = [
        RawRecordSubmitted.self,
        DatasetRegistered.self, DatasetSchemaEvolved.self, DatasetRecordsAppended.self, DataQualityIssueFound.self,
        DatasetVersionSealed.self, DatasetVersionFailed.self,
        TrainingRequested.self, TrainingCancelRequested.self, ModelDeployRequested.self, ModelRollbackRequested.self,
        ModelTrainingQueued.self, ModelTrainingStarted.self, ModelTrainingProgress.self,
        ModelTrainingCompleted.self, ModelTrainingFailed.self, ModelTrainingCancelled.self,
        ModelVersionRegistered.self, ModelValidated.self, ModelValidationFailed.self,
        ModelDeployed.self, ModelRolledBack.self, ModelRetired.self,
        PredictionRequested.self, PredictionCompleted.self, PredictionFailed.self, PredictionFeedbackReceived.self,
        ModelPerformanceDegraded.self, DataDriftDetected.self, ModelHealthChanged.self,
        UsageRecorded.self, QuotaExceeded.self, QuotaRestored.self, InvoiceIssued.self,
        TenantCreated.self, ApiKeyIssued.self, ApiKeyRevoked.self,
        AuditRecorded.self,
    ]

    private static let byType: [String: any DomainEvent.Type] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.eventType, $0) }
    )

    /// The event type for a `ce_type`, or nil when this build does not know it.
    public static func eventType(named type: String) -> (any DomainEvent.Type)? {
        byType[type]
    }

    /// The event types that travel on `topic`.
    public static func events(on topic: Topic) -> [any DomainEvent.Type] {
        all.filter { $0.topic == topic }
    }
}
