import IntelliCoreEvents
import IntelliCoreServiceKit

/// Meters what tenants use: prediction answers (rows, not shadows), completed training (seconds)
/// and sealed dataset versions (rows) go into the ledger, one statement per polled batch, in the
/// transaction that also stores the consumer's offsets. An event billing cannot read (no tenant,
/// no model, no batch size) goes to the dead-letter topic with the reason; metering goes on.
struct UsageEventsHandler: Sendable {
    let ledger: LedgerStore

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        let record: @Sendable ([UsageRecord?], EventTransaction) async throws -> Void = { records, transaction in
            try await ledger.record(records.compactMap { $0 }, on: transaction.connection, logger: transaction.logger)
        }
        handlers.onBatch(PredictionCompleted.self, read: UsageRecord.prediction, record)
        handlers.onBatch(ModelTrainingCompleted.self, read: UsageRecord.training, record)
        handlers.onBatch(DatasetVersionSealed.self, read: UsageRecord.dataset, record)
        return handlers
    }
}
