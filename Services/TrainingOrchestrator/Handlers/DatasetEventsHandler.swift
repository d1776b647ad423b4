import IntelliCoreEvents
import IntelliCoreServiceKit
import Logging

/// Keeps the training data from `intellicore.datasets`: datasets and schema versions, each
/// `DatasetRecordsAppended` batch stored once (a redelivered batch, whatever its `ce_id`, finds
/// its `first_row` taken), a sealed version checked to hold exactly its rows, a failed one's rows
/// deleted. Events of a dataset its sender's tenant does not own go to the dead-letter topic.
struct DatasetEventsHandler: Sendable {
    let store: TrainingDataStore
    let logger: Logger

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(DatasetRegistered.self) { event, registered, transaction in
            _ = try event.owningTenant(payload: registered.tenantId)
            try await store.saveDataset(registered, on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(DatasetSchemaEvolved.self) { event, evolved, transaction in
            try await requireOwner(evolved.datasetId, event, transaction)
            try await store.saveSchema(evolved.datasetId, version: evolved.schemaVersion, schema: evolved.schema,
                                       on: transaction.connection, logger: transaction.logger)
        }
        handlers.onEnvelope(DatasetRecordsAppended.self) { event, transaction in
            guard let header = BatchHeader.parse(event.data) else {
                throw EventRejection("the payload is not a DatasetRecordsAppended (dataset_id, version, first_row and rows are required)")
            }
            let tenant = try await requireOwner(header.datasetId, event, transaction)
            _ = try await store.append(header, tenant: tenant, payload: event.data, on: transaction.connection, logger: transaction.logger)
        }
        handlers.on(DatasetVersionSealed.self) { event, sealed, transaction in
            let tenant = try await requireOwner(sealed.datasetId, event, transaction)
            let status = try await store.seal(sealed, tenant: tenant, on: transaction.connection, logger: transaction.logger)
            if status == .incomplete {
                logger.error("a sealed dataset version is missing rows here; it will not be trained on",
                             metadata: ["dataset_id": "\(sealed.datasetId)", "version": "\(sealed.version)", "row_count": "\(sealed.rowCount)"])
            }
        }
        handlers.on(DatasetVersionFailed.self) { event, failed, transaction in
            let tenant = try await requireOwner(failed.datasetId, event, transaction)
            try await store.fail(failed.datasetId, version: failed.version, tenant: tenant, on: transaction.connection, logger: transaction.logger)
        }
        return handlers
    }

    /// The dataset's tenant, which must be the event's.
    @discardableResult
    private func requireOwner(_ datasetId: String, _ event: CloudEvent, _ transaction: EventTransaction) async throws -> String {
        let tenant = try event.owningTenant()
        guard let owner = try await store.owner(of: datasetId, on: transaction.connection, logger: transaction.logger) else {
            throw EventRejection("dataset \(datasetId) was never registered (no DatasetRegistered before this \(event.type))")
        }
        guard owner == tenant else { throw EventRejection("dataset \(datasetId) belongs to another tenant than ce_tenantid \(tenant)") }
        return tenant
    }
}
