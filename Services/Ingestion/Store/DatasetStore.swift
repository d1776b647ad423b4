import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// A dataset as the API shows it: its current schema and schema version.
struct DatasetRecord: Sendable, Encodable {
    var datasetId: String
    var tenantId: String
    var name: String
    var schemaVersion: Int
    var schema: DatasetSchema
    var createdAt: Date
}

/// Where a dataset version stands.
enum VersionStatus: String, Sendable, Codable {
    /// An upload is being read.
    case receiving
    /// Takes raw records from Kafka until it is sealed.
    case open
    case sealed
    case failed
}

/// A dataset version as the API shows it; statistics once sealed.
struct VersionRecord: Sendable, Encodable {
    var datasetId: String
    var version: Int
    var schemaVersion: Int
    /// `upload` or `stream`.
    var source: String
    var format: String?
    var status: VersionStatus
    var rowsRead: Int
    var rowsAccepted: Int
    var rowsRejected: Int
    var bytes: Int
    var failureReason: String?
    var failureMessage: String?
    var columnStatistics: [ColumnStatistics]?
    var createdAt: Date
    var finishedAt: Date?
}

/// An upload's counters as it runs.
struct UploadProgress: Sendable {
    var rowsRead = 0
    var rowsAccepted = 0
    var rowsRejected = 0
    var bytes = 0
}

/// The upload that holds an `Idempotency-Key`.
struct KeyedUpload: Sendable {
    var datasetId: String
    var version: Int
    var status: VersionStatus
    var heartbeatAge: Double?
    var attempt: UUID?
    var failureReason: String?
    var contentDigest: String?
    var answerStatus: Int?
    var answer: [UInt8]?
}

/// Datasets, their schema versions, their versions and quality reports in the ingestion schema.
/// Every read names the tenant: another tenant's dataset is not found.
struct DatasetStore: Sendable {
    let schema: SchemaName

    private var datasets: String { schema.qualified("datasets") }
    private var schemas: String { schema.qualified("dataset_schemas") }
    private var versions: String { schema.qualified("dataset_versions") }
    private var counts: String { schema.qualified("quality_counts") }
    private var samples: String { schema.qualified("quality_samples") }

    // MARK: datasets and schemas

    /// Creates a dataset with schema version 1; false when the tenant already has one of that name.
    func create(_ dataset: DatasetRecord, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let inserted = try await connection.query("""
            INSERT INTO \(unescaped: datasets) (dataset_id, tenant_id, name, schema_version)
            VALUES (\(dataset.datasetId), \(dataset.tenantId), \(dataset.name), 1)
            ON CONFLICT (tenant_id, name) DO NOTHING RETURNING 1
            """, logger: logger)
        var created = false
        for try await _ in inserted.decode(Int.self) { created = true }
        guard created else { return false }
        try await saveSchema(dataset.datasetId, version: 1, schema: dataset.schema, changes: nil, on: connection, logger: logger)
        return true
    }

    func saveSchema(_ datasetId: String, version: Int, schema: DatasetSchema, changes: [String]?, on connection: PostgresConnection,
                    logger: Logger) async throws {
        let definition = String(decoding: try EventCodec.encode(schema), as: UTF8.self)
        let changeText = try changes.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        try await connection.query("""
            INSERT INTO \(unescaped: schemas) (dataset_id, schema_version, definition, changes)
            VALUES (\(datasetId), \(version), \(definition), \(changeText))
            """, logger: logger)
        try await connection.query("UPDATE \(unescaped: datasets) SET schema_version = \(version) WHERE dataset_id = \(datasetId)", logger: logger)
    }

    /// The tenant's dataset with its current schema (locked for the transaction when `lock`).
    func dataset(_ datasetId: String, tenant: String, lock: Bool = false, on connection: PostgresConnection,
                 logger: Logger) async throws -> DatasetRecord? {
        let rows = try await connection.query("""
            SELECT d.dataset_id, d.tenant_id, d.name, d.schema_version, s.definition, d.created_at
            FROM \(unescaped: datasets) d JOIN \(unescaped: schemas) s ON s.dataset_id = d.dataset_id AND s.schema_version = d.schema_version
            WHERE d.dataset_id = \(datasetId) AND d.tenant_id = \(tenant) \(unescaped: lock ? "FOR UPDATE OF d" : "")
            """, logger: logger)
        for try await row in rows.decode((String, String, String, Int, String, Date).self) {
            return try Self.dataset(row)
        }
        return nil
    }

    func dataset(_ datasetId: String, tenant: String, client: PostgresClient, logger: Logger) async throws -> DatasetRecord? {
        try await client.withConnection { try await dataset(datasetId, tenant: tenant, on: $0, logger: logger) }
    }

    /// The tenant's datasets by name, after `name`.
    func datasets(tenant: String, after name: String?, limit: Int, client: PostgresClient, logger: Logger) async throws -> [DatasetRecord] {
        let rows = try await client.query("""
            SELECT d.dataset_id, d.tenant_id, d.name, d.schema_version, s.definition, d.created_at
            FROM \(unescaped: datasets) d JOIN \(unescaped: schemas) s ON s.dataset_id = d.dataset_id AND s.schema_version = d.schema_version
            WHERE d.tenant_id = \(tenant) AND d.name > \(name ?? "") ORDER BY d.name LIMIT \(limit)
            """, logger: logger)
        var result: [DatasetRecord] = []
        for try await row in rows.decode((String, String, String, Int, String, Date).self) { result.append(try Self.dataset(row)) }
        return result
    }

    /// The schema rows of `schemaVersion` follow.
    func schema(_ datasetId: String, version: Int, on connection: PostgresConnection, logger: Logger) async throws -> DatasetSchema? {
        let rows = try await connection.query("""
            SELECT definition FROM \(unescaped: schemas) WHERE dataset_id = \(datasetId) AND schema_version = \(version)
            """, logger: logger)
        for try await definition in rows.decode(String.self) {
            return try EventCodec.decode(DatasetSchema.self, from: Array(definition.utf8))
        }
        return nil
    }

    private static func dataset(_ row: (String, String, String, Int, String, Date)) throws -> DatasetRecord {
        DatasetRecord(datasetId: row.0, tenantId: row.1, name: row.2, schemaVersion: row.3,
                      schema: try EventCodec.decode(DatasetSchema.self, from: Array(row.4.utf8)), createdAt: row.5)
    }

    // MARK: versions

    /// Creates the dataset's next version (the dataset row must be locked by the transaction).
    func createVersion(of dataset: DatasetRecord, source: String, format: String?, status: VersionStatus, idempotencyKey: String?,
                       attempt: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let numbers = try await connection.query("""
            UPDATE \(unescaped: datasets) SET next_version = next_version + 1 WHERE dataset_id = \(dataset.datasetId) RETURNING next_version - 1
            """, logger: logger)
        var version = 0
        for try await number in numbers.decode(Int.self) { version = number }
        try await connection.query("""
            INSERT INTO \(unescaped: versions) (dataset_id, version, tenant_id, schema_version, source, format, status,
                                               idempotency_key, attempt, heartbeat_at)
            VALUES (\(dataset.datasetId), \(version), \(dataset.tenantId), \(dataset.schemaVersion), \(source), \(format), \(status.rawValue),
                    \(idempotencyKey), \(attempt), now())
            """, logger: logger)
        return version
    }

    /// Records an upload's counters and proves it alive; false when the attempt no longer holds
    /// the version (it was declared interrupted and taken over).
    func progress(_ datasetId: String, version: Int, attempt: UUID, _ progress: UploadProgress, client: PostgresClient,
                  logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE \(unescaped: versions) SET rows_read = \(progress.rowsRead), rows_accepted = \(progress.rowsAccepted),
                rows_rejected = \(progress.rowsRejected), bytes = \(progress.bytes), heartbeat_at = now()
            WHERE dataset_id = \(datasetId) AND version = \(version) AND attempt = \(attempt) AND status = 'receiving'
            RETURNING 1
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// The upload that holds `key` for the tenant, locked for the transaction.
    func upload(key: String, tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> KeyedUpload? {
        let rows = try await connection.query("""
            SELECT dataset_id, version, status, EXTRACT(EPOCH FROM now() - heartbeat_at)::float8, failure_reason, content_digest,
                   answer_status, answer, attempt
            FROM \(unescaped: versions) WHERE tenant_id = \(tenant) AND idempotency_key = \(key) FOR UPDATE
            """, logger: logger)
        for try await row in rows.decode((String, Int, String, Double?, String?, String?, Int?, ByteBuffer?, UUID?).self) {
            return KeyedUpload(datasetId: row.0, version: row.1, status: VersionStatus(rawValue: row.2) ?? .failed, heartbeatAge: row.3,
                               attempt: row.8, failureReason: row.4, contentDigest: row.5, answerStatus: row.6, answer: row.7.map { Array(buffer: $0) })
        }
        return nil
    }

    /// Frees an interrupted upload's key for the retry that takes it over.
    func releaseKey(_ datasetId: String, version: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE \(unescaped: versions) SET idempotency_key = NULL WHERE dataset_id = \(datasetId) AND version = \(version)
            """, logger: logger)
    }

    /// Locks a receiving upload's row if `attempt` still holds it.
    func holds(_ datasetId: String, version: Int, attempt: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT 1 FROM \(unescaped: versions)
            WHERE dataset_id = \(datasetId) AND version = \(version) AND attempt = \(attempt) AND status = 'receiving' FOR UPDATE
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// Seals a version or marks it failed, with its final counters and, for an upload, the
    /// digest of its body and the answer a retry with its key replays.
    func finish(_ datasetId: String, version: Int, status: VersionStatus, progress: UploadProgress, statistics: [ColumnStatistics]?,
                failure: (reason: DatasetFailureReason, message: String)?, digest: String?, answer: (status: Int, body: [UInt8])?,
                on connection: PostgresConnection, logger: Logger) async throws {
        let statisticsText = try statistics.map { String(decoding: try EventCodec.encode($0), as: UTF8.self) }
        try await connection.query("""
            UPDATE \(unescaped: versions) SET status = \(status.rawValue), rows_read = \(progress.rowsRead),
                rows_accepted = \(progress.rowsAccepted), rows_rejected = \(progress.rowsRejected), bytes = \(progress.bytes),
                statistics = \(statisticsText), failure_reason = \(failure?.reason.rawValue), failure_message = \(failure?.message),
                content_digest = \(digest), answer_status = \(answer?.status), answer = \(answer.map { ByteBuffer(bytes: $0.body) }),
                accumulators = NULL, heartbeat_at = NULL, finished_at = now()
            WHERE dataset_id = \(datasetId) AND version = \(version)
            """, logger: logger)
    }

    /// Replaces a version's quality report.
    func saveReport(_ datasetId: String, version: Int, report: QualityReport, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM \(unescaped: counts) WHERE dataset_id = \(datasetId) AND version = \(version)", logger: logger)
        try await connection.query("DELETE FROM \(unescaped: samples) WHERE dataset_id = \(datasetId) AND version = \(version)", logger: logger)
        for (key, rows) in report.counts {
            try await connection.query("""
                INSERT INTO \(unescaped: counts) (dataset_id, version, column_name, rule, rows)
                VALUES (\(datasetId), \(version), \(key.column ?? ""), \(key.rule.rawValue), \(rows))
                """, logger: logger)
        }
        for (seq, sample) in report.samples.enumerated() {
            try await insertSample(datasetId, version: version, seq: seq, sample, on: connection, logger: logger)
        }
    }

    private func insertSample(_ datasetId: String, version: Int, seq: Int, _ sample: QualityReport.Sample, on connection: PostgresConnection,
                              logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: samples) (dataset_id, version, seq, row_number, column_name, rule, value, message)
            VALUES (\(datasetId), \(version), \(seq), \(sample.row), \(sample.column), \(sample.rule.rawValue), \(sample.value), \(sample.message))
            """, logger: logger)
    }

    /// Marks uploads nobody proved alive for `lease` as failed (their service stopped or was
    /// killed mid-upload) and returns them; the attempts in `sparing` are alive whatever their heartbeat says.
    func failStale(lease: Duration, sparing: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [(datasetId: String, version: Int, tenant: String, rowsRead: Int, rowsRejected: Int)] {
        let rows = try await connection.query("""
            UPDATE \(unescaped: versions) SET status = 'failed', failure_reason = \(DatasetFailureReason.interrupted.rawValue),
                failure_message = 'the upload stopped without finishing (the service was stopped or the connection broke); upload it again',
                heartbeat_at = NULL, finished_at = now()
            WHERE status = 'receiving' AND heartbeat_at < now() - make_interval(secs => \(Double(lease.components.seconds)))
                AND (attempt IS NULL OR attempt <> ALL(\(sparing)))
            RETURNING dataset_id, version, tenant_id, rows_read, rows_rejected
            """, logger: logger)
        var failed: [(String, Int, String, Int, Int)] = []
        for try await row in rows.decode((String, Int, String, Int, Int).self) { failed.append(row) }
        return failed
    }

    // MARK: reading versions and reports

    private static let versionColumns = """
        dataset_id, version, schema_version, source, format, status, rows_read, rows_accepted, rows_rejected, bytes,
        failure_reason, failure_message, statistics, created_at, finished_at
        """

    private typealias VersionRow = (String, Int, Int, String, String?, String, Int, Int, Int, Int, String?, String?, String?, Date, Date?)

    func versions(_ datasetId: String, tenant: String, after version: Int?, status: VersionStatus?, limit: Int, client: PostgresClient,
                  logger: Logger) async throws -> [VersionRecord] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.versionColumns) FROM \(unescaped: versions)
            WHERE dataset_id = \(datasetId) AND tenant_id = \(tenant) AND version > \(version ?? 0)
              AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY version LIMIT \(limit)
            """, logger: logger)
        var result: [VersionRecord] = []
        for try await row in rows.decode(VersionRow.self) { result.append(try Self.version(row)) }
        return result
    }

    func version(_ datasetId: String, _ version: Int, tenant: String, on connection: PostgresConnection, lock: Bool = false,
                 logger: Logger) async throws -> VersionRecord? {
        let rows = try await connection.query("""
            SELECT \(unescaped: Self.versionColumns) FROM \(unescaped: versions)
            WHERE dataset_id = \(datasetId) AND version = \(version) AND tenant_id = \(tenant) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await row in rows.decode(VersionRow.self) { return try Self.version(row) }
        return nil
    }

    private static func version(_ row: VersionRow) throws -> VersionRecord {
        VersionRecord(datasetId: row.0, version: row.1, schemaVersion: row.2, source: row.3, format: row.4,
                      status: VersionStatus(rawValue: row.5) ?? .failed, rowsRead: row.6, rowsAccepted: row.7, rowsRejected: row.8,
                      bytes: row.9, failureReason: row.10, failureMessage: row.11,
                      columnStatistics: try row.12.map { try EventCodec.decode([ColumnStatistics].self, from: Array($0.utf8)) },
                      createdAt: row.13, finishedAt: row.14)
    }

    /// A version's problem counts per column and rule.
    func reportCounts(_ datasetId: String, version: Int, client: PostgresClient, logger: Logger) async throws -> [(column: String?, rule: String, rows: Int)] {
        let rows = try await client.query("""
            SELECT column_name, rule, rows FROM \(unescaped: counts) WHERE dataset_id = \(datasetId) AND version = \(version)
            ORDER BY column_name, rule
            """, logger: logger)
        var result: [(String?, String, Int)] = []
        for try await (column, rule, count) in rows.decode((String, String, Int).self) { result.append((column.isEmpty ? nil : column, rule, count)) }
        return result
    }

    /// A page of a version's sampled problems, in the order they were found.
    func reportSamples(_ datasetId: String, version: Int, after seq: Int?, limit: Int, client: PostgresClient,
                       logger: Logger) async throws -> [(seq: Int, sample: QualityReport.Sample)] {
        let rows = try await client.query("""
            SELECT seq, row_number, column_name, rule, value, message FROM \(unescaped: samples)
            WHERE dataset_id = \(datasetId) AND version = \(version) AND seq > \(seq ?? -1) ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var result: [(Int, QualityReport.Sample)] = []
        for try await row in rows.decode((Int, Int, String?, String, String?, String).self) {
            result.append((row.0, QualityReport.Sample(row: row.1, column: row.2, rule: DataQualityRule(rawValue: row.3) ?? .malformedRow,
                                                       value: row.4, message: row.5)))
        }
        return result
    }

    // MARK: streamed versions

    /// The dataset's open version for raw records, locked, with its accumulated statistics and
    /// report; created when there is none.
    func openVersion(of dataset: DatasetRecord, on connection: PostgresConnection,
                     logger: Logger) async throws -> (version: Int, schemaVersion: Int, state: StreamState?) {
        let rows = try await connection.query("""
            SELECT version, schema_version, accumulators FROM \(unescaped: versions)
            WHERE dataset_id = \(dataset.datasetId) AND status = 'open' FOR UPDATE
            """, logger: logger)
        for try await (version, schemaVersion, state) in rows.decode((Int, Int, String?).self) {
            return (version, schemaVersion, try state.map { try EventCodec.decode(StreamState.self, from: Array($0.utf8)) })
        }
        // Serialises creation on the dataset's row.
        _ = try await self.dataset(dataset.datasetId, tenant: dataset.tenantId, lock: true, on: connection, logger: logger)
        let version = try await createVersion(of: dataset, source: "stream", format: nil, status: .open, idempotencyKey: nil, attempt: nil,
                                              on: connection, logger: logger)
        return (version, dataset.schemaVersion, nil)
    }

    func saveStream(_ datasetId: String, version: Int, state: StreamState, newSamples: ArraySlice<QualityReport.Sample>,
                    on connection: PostgresConnection, logger: Logger) async throws {
        let text = String(decoding: try EventCodec.encode(state), as: UTF8.self)
        try await connection.query("""
            UPDATE \(unescaped: versions) SET accumulators = \(text), rows_read = \(state.report.rowsRead),
                rows_accepted = \(state.report.rowsAccepted), rows_rejected = \(state.report.rowsRejected)
            WHERE dataset_id = \(datasetId) AND version = \(version)
            """, logger: logger)
        let first = state.report.samples.count - newSamples.count
        for (offset, sample) in newSamples.enumerated() {
            try await insertSample(datasetId, version: version, seq: first + offset, sample, on: connection, logger: logger)
        }
    }

    func addCounts(_ datasetId: String, version: Int, _ added: [QualityReport.Key: Int], on connection: PostgresConnection, logger: Logger) async throws {
        for (key, rows) in added {
            try await connection.query("""
                INSERT INTO \(unescaped: counts) (dataset_id, version, column_name, rule, rows)
                VALUES (\(datasetId), \(version), \(key.column ?? ""), \(key.rule.rawValue), \(rows))
                ON CONFLICT (dataset_id, version, column_name, rule) DO UPDATE SET rows = \(unescaped: counts).rows + EXCLUDED.rows
                """, logger: logger)
        }
    }
}

/// What an open streamed version carries from one raw record to the next.
struct StreamState: Sendable, Codable {
    var accumulators: [ColumnAccumulator]
    var report: QualityReport
}
