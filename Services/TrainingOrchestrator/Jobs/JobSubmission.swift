import IntelliCoreEvents
import IntelliCoreServiceKit

/// Puts a training job in the queue, whoever asked for it (a `TrainingRequested`, or a drift
/// alert under a retraining policy): the job row, its work-queue entry and `ModelTrainingQueued`
/// in the caller's transaction.
struct JobSubmission: Sendable {
    let jobs: JobStore
    let queue: WorkQueue
    let maxAttempts: Int

    /// False, with nothing written, when a job with this id exists already (a redelivered request).
    @discardableResult
    func submit(_ request: TrainingRequested, in transaction: EventTransaction) async throws -> Bool {
        guard try await jobs.create(request, on: transaction.connection, logger: transaction.logger) else { return false }
        try await queue.enqueue(id: request.jobId, tenantId: request.tenantId, priority: request.priority, payload: [],
                                maxAttempts: maxAttempts, on: transaction.connection, logger: transaction.logger)
        try await transaction.publish(ModelTrainingQueued(jobId: request.jobId, tenantId: request.tenantId, modelName: request.modelName,
                                                          priority: request.priority),
                                      key: request.jobId, subject: request.jobId, tenantId: request.tenantId)
        return true
    }
}
