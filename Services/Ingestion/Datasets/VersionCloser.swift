import IntelliCoreEvents
import IntelliCoreServiceKit

/// Ends a dataset version in the caller's transaction: stores its quality report, publishes one
/// `DataQualityIssueFound` per column and rule, and seals it (`DatasetVersionSealed` with the
/// column statistics) or fails it (`DatasetVersionFailed`) when no row was accepted or more rows
/// than the allowed share were rejected.
struct VersionCloser: Sendable {
    let store: DatasetStore
    let maxRejectedShare: Double

    enum Outcome: Sendable {
        case sealed(VersionRecord)
        case failed(DatasetFailureReason, String)
    }

    func close(dataset: DatasetRecord, version: Int, schemaVersion: Int, schema: DatasetSchema, report: QualityReport,
               accumulators: [ColumnAccumulator], bytes: Int, digest: String?, answer: (VersionRecord?) throws -> (status: Int, body: [UInt8])?,
               in transaction: EventTransaction) async throws -> Outcome {
        let progress = UploadProgress(rowsRead: report.rowsRead, rowsAccepted: report.rowsAccepted, rowsRejected: report.rowsRejected, bytes: bytes)
        try await store.saveReport(dataset.datasetId, version: version, report: report, on: transaction.connection, logger: transaction.logger)
        for issue in report.issues(datasetId: dataset.datasetId, version: version) {
            try await transaction.publish(issue, key: dataset.datasetId, subject: dataset.datasetId, tenantId: dataset.tenantId)
        }
        let failure: (DatasetFailureReason, String)?
        if report.rowsAccepted == 0 {
            failure = (.empty, report.rowsRead == 0 ? "the upload holds no rows" : "none of the \(report.rowsRead) rows is valid")
        } else if report.rejectedShare > maxRejectedShare {
            failure = (.tooManyRejectedRows, "\(report.rowsRejected) of \(report.rowsRead) rows were rejected "
                + "(\(Self.percent(report.rejectedShare)), more than the \(Self.percent(maxRejectedShare)) allowed); see the quality report")
        } else {
            failure = nil
        }
        if let (reason, message) = failure {
            try await fail(dataset: dataset, version: version, reason: reason, message: message, progress: progress, digest: digest,
                           answer: try answer(nil), in: transaction)
            return .failed(reason, message)
        }
        guard accumulators.count == schema.columns.count else {
            throw APIError(.internalServerError, code: "internal", message: "statistics do not match the schema's columns")
        }
        let statistics = zip(accumulators, schema.columns).map { $0.statistics(for: $1) }
        var record = VersionRecord(datasetId: dataset.datasetId, version: version, schemaVersion: schemaVersion, source: "", format: nil,
                                   status: .sealed, rowsRead: report.rowsRead, rowsAccepted: report.rowsAccepted,
                                   rowsRejected: report.rowsRejected, bytes: bytes, columnStatistics: statistics, createdAt: .now)
        if let stored = try await store.version(dataset.datasetId, version, tenant: dataset.tenantId, on: transaction.connection,
                                                logger: transaction.logger) {
            record.source = stored.source
            record.format = stored.format
            record.createdAt = stored.createdAt
        }
        record.finishedAt = .now
        try await store.finish(dataset.datasetId, version: version, status: .sealed, progress: progress, statistics: statistics, failure: nil,
                               digest: digest, answer: try answer(record), on: transaction.connection, logger: transaction.logger)
        try await transaction.publish(DatasetVersionSealed(datasetId: dataset.datasetId, version: version, schemaVersion: schemaVersion,
                                                           rowCount: report.rowsAccepted, rowsRejected: report.rowsRejected,
                                                           columnStatistics: statistics, bytes: bytes),
                                      key: dataset.datasetId, subject: dataset.datasetId, tenantId: dataset.tenantId)
        return .sealed(record)
    }

    /// Marks a version failed and publishes `DatasetVersionFailed`.
    func fail(dataset: DatasetRecord, version: Int, reason: DatasetFailureReason, message: String, progress: UploadProgress,
              digest: String?, answer: (status: Int, body: [UInt8])?, in transaction: EventTransaction) async throws {
        try await store.finish(dataset.datasetId, version: version, status: .failed, progress: progress, statistics: nil,
                               failure: (reason, message), digest: digest, answer: answer, on: transaction.connection, logger: transaction.logger)
        try await transaction.publish(DatasetVersionFailed(datasetId: dataset.datasetId, version: version, reason: reason.rawValue,
                                                           message: message, rowsRead: progress.rowsRead, rowsRejected: progress.rowsRejected),
                                      key: dataset.datasetId, subject: dataset.datasetId, tenantId: dataset.tenantId)
    }

    static func percent(_ share: Double) -> String {
        "\((share * 1000).rounded() / 10) %"
    }
}
