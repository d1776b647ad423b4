import IntelliCoreEvents
import IntelliCoreServiceKit

/// Validates records outside producers send on `intellicore.ingest.raw` against their dataset's
/// schema and appends each valid one to the dataset's open version (opened by the first record
/// after a seal) as a one-row `DatasetRecordsAppended`, through the outbox. The version's row
/// counter, statistics and quality report advance in the same transaction as the inbox row, so a
/// record redelivered after a crash is placed once, at the same `first_row`. A record for a
/// dataset its tenant does not have goes to the dead-letter topic.
struct RawRecordsHandler: Sendable {
    let store: DatasetStore
    let sampleLimit: Int

    var handlers: EventHandlers {
        var handlers = EventHandlers()
        handlers.on(RawRecordSubmitted.self) { event, raw, transaction in
            let tenant = try event.owningTenant()
            guard var dataset = try await store.dataset(raw.datasetId, tenant: tenant, on: transaction.connection, logger: transaction.logger) else {
                throw EventRejection("dataset \(raw.datasetId) does not exist for tenant \(tenant)")
            }
            let (version, schemaVersion, state) = try await store.openVersion(of: dataset, on: transaction.connection, logger: transaction.logger)
            if schemaVersion != dataset.schemaVersion,
               let schema = try await store.schema(dataset.datasetId, version: schemaVersion, on: transaction.connection, logger: transaction.logger) {
                dataset.schema = schema  // the version keeps the schema it opened with
            }
            var validator = state.map {
                RowValidator(schema: dataset.schema, sampleLimit: sampleLimit, accumulators: $0.accumulators, report: $0.report)
            } ?? RowValidator(schema: dataset.schema, sampleLimit: sampleLimit)
            let countsBefore = validator.report.counts, samplesBefore = validator.report.samples.count
            var batch = RecordBatch(datasetId: dataset.datasetId, version: version, schemaVersion: schemaVersion,
                                    firstRow: validator.report.rowsAccepted)
            let columns = Dictionary(dataset.schema.columns.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
            validator.beginRow()
            for (name, value) in raw.record.sorted(by: { $0.key < $1.key }) {
                guard let index = columns[name] else {
                    validator.problem(.unknownColumn, column: name, message: "\(name) is not a column of dataset \(dataset.datasetId)")
                    continue
                }
                validator.value(value, column: index)
            }
            if validator.endRow(into: &batch) {
                let appended = try EventCodec.decode(DatasetRecordsAppended.self, from: batch.take().payload)
                try await transaction.publish(appended, key: dataset.datasetId, subject: dataset.datasetId, tenantId: tenant)
            }
            let report = validator.report
            try await store.saveStream(dataset.datasetId, version: version, state: StreamState(accumulators: validator.accumulators, report: report),
                                       newSamples: report.samples[samplesBefore...], on: transaction.connection, logger: transaction.logger)
            var added: [QualityReport.Key: Int] = [:]
            for (key, count) in report.counts where count != countsBefore[key] { added[key] = count - (countsBefore[key] ?? 0) }
            try await store.addCounts(dataset.datasetId, version: version, added, on: transaction.connection, logger: transaction.logger)
        }
        return handlers
    }
}
