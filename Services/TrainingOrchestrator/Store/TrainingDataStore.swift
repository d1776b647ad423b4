import Foundation
import IntelliCoreEvents
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Where a dataset version stands in the orchestrator.
enum TrainingDataStatus: String, Sendable {
    /// Batches are arriving.
    case receiving
    /// Every row from 0 to the sealed row count is stored exactly once: jobs may train on it.
    case sealed
    /// Failed upstream; its rows were deleted.
    case failed
    /// Sealed upstream, but the stored batches do not cover its rows exactly; never trained on.
    case incomplete
}

/// The training data in the orchestrator's schema: datasets and their schemas, versions, and each
/// `DatasetRecordsAppended` batch stored once by (dataset, version, first row).
struct TrainingDataStore: Sendable {
    let schema: SchemaName

    private var datasets: String { schema.qualified("datasets") }
    private var schemas: String { schema.qualified("dataset_schemas") }
    private var versions: String { schema.qualified("dataset_versions") }
    private var batches: String { schema.qualified("dataset_batches") }

    func saveDataset(_ registered: DatasetRegistered, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: datasets) (dataset_id, tenant_id, name, target)
            VALUES (\(registered.datasetId), \(registered.tenantId), \(registered.name), \(registered.schema.target))
            ON CONFLICT (dataset_id) DO NOTHING
            """, logger: logger)
        try await saveSchema(registered.datasetId, version: registered.schemaVersion, schema: registered.schema, on: connection, logger: logger)
    }

    func saveSchema(_ datasetId: String, version: Int, schema: DatasetSchema, on connection: PostgresConnection, logger: Logger) async throws {
        let definition = String(decoding: try EventCodec.encode(schema), as: UTF8.self)
        try await connection.query("""
            INSERT INTO \(unescaped: schemas) (dataset_id, schema_version, definition) VALUES (\(datasetId), \(version), \(definition))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The tenant a dataset belongs to; nil when it was never registered.
    func owner(of datasetId: String, on connection: PostgresConnection, logger: Logger) async throws -> String? {
        let rows = try await connection.query("SELECT tenant_id FROM \(unescaped: datasets) WHERE dataset_id = \(datasetId)", logger: logger)
        for try await tenant in rows.decode(String.self) { return tenant }
        return nil
    }

    /// The version's row, created as `receiving` on its first event, locked for the transaction.
    private func version(_ datasetId: String, _ version: Int, tenant: String, schemaVersion: Int, on connection: PostgresConnection,
                         logger: Logger) async throws -> TrainingDataStatus {
        try await connection.query("""
            INSERT INTO \(unescaped: versions) (dataset_id, version, tenant_id, schema_version, status)
            VALUES (\(datasetId), \(version), \(tenant), \(schemaVersion), \(TrainingDataStatus.receiving.rawValue))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let rows = try await connection.query("""
            SELECT status FROM \(unescaped: versions) WHERE dataset_id = \(datasetId) AND version = \(version) FOR UPDATE
            """, logger: logger)
        for try await status in rows.decode(String.self) { return TrainingDataStatus(rawValue: status) ?? .receiving }
        return .receiving
    }

    /// Stores a batch unless its version failed; a batch already stored (a redelivery) is left as
    /// it is. Returns whether the batch is new.
    func append(_ header: BatchHeader, tenant: String, payload: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let status = try await version(header.datasetId, header.version, tenant: tenant, schemaVersion: header.schemaVersion,
                                       on: connection, logger: logger)
        guard status != .failed else { return false }
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: batches) (dataset_id, version, first_row, row_count, payload)
            VALUES (\(header.datasetId), \(header.version), \(header.firstRow), \(header.rowCount), \(ByteBuffer(bytes: payload)))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// Marks a version sealed when its stored batches cover rows 0 ..< `rowCount` exactly once,
    /// incomplete otherwise; returns the status it got.
    func seal(_ sealed: DatasetVersionSealed, tenant: String, on connection: PostgresConnection, logger: Logger) async throws -> TrainingDataStatus {
        let current = try await version(sealed.datasetId, sealed.version, tenant: tenant, schemaVersion: sealed.schemaVersion,
                                        on: connection, logger: logger)
        guard current != .failed else { return .failed }
        // Contiguous: each batch starts where the one before it ended, and the last ends at the count.
        let coverage = try await connection.query("""
            SELECT count(*) FILTER (WHERE first_row <> coalesce(previous_end, 0)), coalesce(max(first_row + row_count), 0)
            FROM (SELECT first_row, row_count, lag(first_row + row_count) OVER (ORDER BY first_row) AS previous_end
                  FROM \(unescaped: batches) WHERE dataset_id = \(sealed.datasetId) AND version = \(sealed.version)) AS placed
            """, logger: logger)
        var gaps = 0, end = 0
        for try await (counted, last) in coverage.decode((Int, Int).self) { (gaps, end) = (counted, last) }
        let status: TrainingDataStatus = gaps == 0 && end == sealed.rowCount ? .sealed : .incomplete
        let statistics = String(decoding: try EventCodec.encode(sealed.columnStatistics), as: UTF8.self)
        try await connection.query("""
            UPDATE \(unescaped: versions) SET status = \(status.rawValue), row_count = \(sealed.rowCount), statistics = \(statistics), updated_at = now()
            WHERE dataset_id = \(sealed.datasetId) AND version = \(sealed.version)
            """, logger: logger)
        return status
    }

    /// Marks a version failed and deletes its rows.
    func fail(_ datasetId: String, version: Int, tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await self.version(datasetId, version, tenant: tenant, schemaVersion: 1, on: connection, logger: logger)
        try await connection.query("""
            UPDATE \(unescaped: versions) SET status = \(TrainingDataStatus.failed.rawValue), updated_at = now()
            WHERE dataset_id = \(datasetId) AND version = \(version)
            """, logger: logger)
        try await connection.query("DELETE FROM \(unescaped: batches) WHERE dataset_id = \(datasetId) AND version = \(version)", logger: logger)
    }

    /// Where the version a job asked for stands; `version` nil asks for the latest sealed one.
    func lookup(_ datasetId: String, version: Int?, tenant: String, client: PostgresClient, logger: Logger) async throws -> DataLookup {
        let owner = try await client.query("SELECT tenant_id FROM \(unescaped: datasets) WHERE dataset_id = \(datasetId)", logger: logger)
        var known = false
        for try await owned in owner.decode(String.self) { known = owned == tenant }
        guard known else { return .unknownDataset }
        let rows: PostgresRowSequence
        if let version {
            rows = try await client.query("""
                SELECT version, schema_version, status, coalesce(row_count, 0) FROM \(unescaped: versions)
                WHERE dataset_id = \(datasetId) AND version = \(version)
                """, logger: logger)
        } else {
            rows = try await client.query("""
                SELECT version, schema_version, status, coalesce(row_count, 0) FROM \(unescaped: versions)
                WHERE dataset_id = \(datasetId) AND status = \(TrainingDataStatus.sealed.rawValue) ORDER BY version DESC LIMIT 1
                """, logger: logger)
        }
        for try await (number, schemaVersion, status, count) in rows.decode((Int, Int, String, Int).self) {
            let status = TrainingDataStatus(rawValue: status) ?? .receiving
            return status == .sealed ? .sealed(version: number, schemaVersion: schemaVersion, rows: count) : .notSealed(version: number, status: status)
        }
        return version == nil ? .noSealedVersion : .unknownVersion
    }

    /// The schema a version's rows follow.
    func schema(_ datasetId: String, version: Int, client: PostgresClient, logger: Logger) async throws -> DatasetSchema? {
        let rows = try await client.query("""
            SELECT definition FROM \(unescaped: schemas) WHERE dataset_id = \(datasetId) AND schema_version = \(version)
            """, logger: logger)
        for try await definition in rows.decode(String.self) { return try EventCodec.decode(DatasetSchema.self, from: Array(definition.utf8)) }
        return nil
    }

    /// Feeds every stored row of a sealed version, batch by batch in row order, to `body`.
    func forEachBatch(_ datasetId: String, version: Int, client: PostgresClient, logger: Logger,
                      _ body: ([[JSONValue]]) throws -> Void) async throws {
        let rows = try await client.query("""
            SELECT payload FROM \(unescaped: batches) WHERE dataset_id = \(datasetId) AND version = \(version) ORDER BY first_row
            """, logger: logger)
        for try await payload in rows.decode(ByteBuffer.self) {
            try body(try EventCodec.decode(DatasetRecordsAppended.self, from: Array(buffer: payload)).rows)
        }
    }
}

/// What a job finds when it looks for its training data.
enum DataLookup: Equatable {
    case sealed(version: Int, schemaVersion: Int, rows: Int)
    case notSealed(version: Int, status: TrainingDataStatus)
    /// The tenant has no dataset of that id.
    case unknownDataset
    case unknownVersion
    case noSealedVersion
}
