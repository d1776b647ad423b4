import IntelliCoreEvents
import IntelliCoreServiceKit

/// Meters what tenants use: prediction answers (rows, not shadows), completed training (seconds)
/// and sealed dataset versions (rows) go into the ledger, one statement per polled batch, in the
/// transaction that also stores the consumer's offsets. An event billing cannot read (no tenant,
/// no model, no batch size) goes to the dead-letter topic with the reason; metering goes on.
///
/// Each batch runs in two stages (the consumer keeps two batches in flight): the ledger insert
/// (rows unique by source event, nothing shared) may overlap the previous batch's transaction;
/// the hourly aggregates and the quota check of the tenants metered wait for it to commit.
struct UsageEventsHandler: Sendable {
    let ledger: LedgerStore
    let storage: StorageStore
    let keeper: QuotaKeeper

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        let meter: @Sendable ([UsageRecord?], EventTransaction) async throws -> [HourlyUsage] = { records, transaction in
            try await ledger.insert(records.compactMap { $0 }, on: transaction.connection, logger: transaction.logger)
        }
        let settle: @Sendable ([HourlyUsage], EventTransaction) async throws -> Void = { usage, transaction in
            guard !usage.isEmpty else { return }
            try await ledger.aggregate(usage, on: transaction.connection, logger: transaction.logger)
            // Passing a hard limit publishes QuotaExceeded in this same transaction, once.
            try await keeper.evaluate(usage.map(\.tenantId), in: transaction)
        }
        handlers.onBatch(PredictionCompleted.self, read: UsageRecord.prediction, stage: meter, complete: settle)
        handlers.onBatch(ModelTrainingCompleted.self, read: UsageRecord.training, stage: meter, complete: settle)
        handlers.onBatch(DatasetVersionSealed.self, read: UsageRecord.dataset, stage: { sealed, transaction in
            try await storage.record(sealed.compactMap(\.stored), on: transaction.connection, logger: transaction.logger)
            return try await meter(sealed.map(\.rows), transaction)
        }, complete: settle)
        return handlers
    }
}
