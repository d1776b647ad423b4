import IntelliCoreEvents
import IntelliCoreServiceKit

/// Meters what tenants use: prediction answers (rows, not shadows), completed training (seconds)
/// and sealed dataset versions (rows) go into the ledger, one statement per polled batch, in the
/// transaction that also stores the consumer's offsets. An event billing cannot read (no tenant,
/// no model, no batch size) goes to the dead-letter topic with the reason; metering goes on. The
/// tenants metered have their quotas checked in the same transaction.
struct UsageEventsHandler: Sendable {
    let ledger: LedgerStore
    let storage: StorageStore
    let keeper: QuotaKeeper

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        let record: @Sendable ([UsageRecord?], EventTransaction) async throws -> Void = { records, transaction in
            let metered = records.compactMap { $0 }
            guard try await ledger.record(metered, on: transaction.connection, logger: transaction.logger) > 0 else { return }
            // Passing a hard limit publishes QuotaExceeded in this same transaction, once.
            try await keeper.evaluate(metered.map(\.tenantId), in: transaction)
        }
        handlers.onBatch(PredictionCompleted.self, read: UsageRecord.prediction, record)
        handlers.onBatch(ModelTrainingCompleted.self, read: UsageRecord.training, record)
        handlers.onBatch(DatasetVersionSealed.self, read: UsageRecord.dataset) { sealed, transaction in
            try await storage.record(sealed.compactMap(\.stored), on: transaction.connection, logger: transaction.logger)
            try await record(sealed.map(\.rows), transaction)
        }
        return handlers
    }
}
