import Crypto
import Foundation
import Hummingbird
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreServiceKit
import Logging
import Synchronization

/// Limits and knobs of dataset uploads (see `IngestionSettings`).
struct UploadSettings: Sendable {
    /// The largest body, counted decompressed.
    var maxBytes: Int
    var maxRowBytes: Int
    var batchRows: Int
    var maxRejectedShare: Double
    var sampleLimit: Int
    /// An upload whose progress was not recorded for this long is declared interrupted.
    var lease: Duration
    /// Batches handed to Kafka whose acknowledgement is still awaited.
    var batchesInFlight: Int
}

/// One upload, streamed from the request body to `intellicore.datasets`: bytes are hashed (for
/// the idempotency key), inflated (gzip), cut into rows and validated; accepted rows leave in
/// `DatasetRecordsAppended` batches as soon as a batch is full, with a bounded number awaiting
/// the broker's acknowledgement, so memory does not grow with the body. Counters are recorded
/// every half second under the upload's attempt id (a heartbeat: an upload that stops recording
/// them is declared interrupted). When the body ends and every batch is acknowledged, the version
/// is sealed or failed in one transaction with its events.
struct DatasetUpload {
    let context: ServiceContext
    let store: DatasetStore
    let closer: VersionCloser
    let settings: UploadSettings
    let topic: String
    /// The attempts this process is running: the sweep never declares one of them interrupted,
    /// however late its heartbeat (a replica starved of CPU or of PostgreSQL connections for a
    /// lease is slow, not gone).
    let running = RunningUploads()

    enum Encoding {
        case identity, gzip
    }

    func run(_ request: Request, dataset: DatasetRecord, caller: Caller) async throws -> Response {
        let format = try UploadFormat(contentType: request.headers[.contentType])
        let encoding = try Self.encoding(request)
        let key = try IdempotentCommand.idempotencyKey(request)
        if encoding == .identity, let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxBytes {
            throw APIError.payloadTooLarge("the upload is \(length) bytes; the most this service takes is \(settings.maxBytes)")
        }
        var body = UploadBody(request.body.makeAsyncIterator(), format: format, encoding: encoding, maxBytes: settings.maxBytes,
                        inflater: encoding == .gzip ? try GzipInflater() : nil, hashed: key != nil)

        // The start of the body, until the format's preamble (the CSV header) is whole.
        var start: [UInt8] = []
        var preamble: [String]?
        do {
            while true {
                let chunk = try await body.next { start.append(contentsOf: $0) }
                if start.count > settings.maxRowBytes + 4 { break }
                if format == .csv {
                    if let header = try CSVRowReader.header(in: Self.withoutBOM(start), final: !chunk, maxRecordBytes: settings.maxRowBytes) {
                        preamble = header
                        break
                    }
                } else if let good = JSONRowReader.startsWell(start, format: format) {
                    guard good else {
                        throw APIError.badRequest("a JSON upload is an array of objects; the body does not start with [", code: "invalid_json")
                    }
                    break
                }
                if !chunk { break }
            }
        } catch let failure as UploadFailure {
            throw Self.error(for: failure)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("the upload broke off before its first row: \(error)", code: DatasetFailureReason.uploadAborted.rawValue)
        }
        var reader: any RowReader
        switch format {
        case .csv:
            guard let preamble else {
                throw APIError.badRequest("the CSV header row is longer than \(settings.maxRowBytes) bytes", code: "invalid_csv_header")
            }
            reader = try CSVRowReader(header: preamble, schema: dataset.schema, maxRecordBytes: settings.maxRowBytes)
        case .json, .ndjson:
            if start.isEmpty, format == .json {
                throw APIError.badRequest("the body is empty; a JSON upload is an array of objects", code: "invalid_json")
            }
            reader = JSONRowReader(format: format, schema: dataset.schema, maxRecordBytes: settings.maxRowBytes)
        }

        // Claim the key (or answer as the upload that holds it did) and create the version.
        let attempt = UUID()
        running.insert(attempt)
        defer { running.remove(attempt) }
        let claim = try await context.transaction { transaction -> Claim in
            guard let locked = try await store.dataset(dataset.datasetId, tenant: dataset.tenantId, lock: true, on: transaction.connection,
                                                       logger: transaction.logger) else {
                throw APIError.notFound("dataset \(dataset.datasetId) does not exist", code: "unknown_dataset")
            }
            if let key, let held = try await store.upload(key: key, tenant: caller.tenantId, on: transaction.connection, logger: transaction.logger) {
                if let claim = try await self.reclaim(held, key: key, dataset: locked, in: transaction) { return claim }
            }
            let version = try await store.createVersion(of: locked, source: "upload", format: format.rawValue, status: .receiving,
                                                        idempotencyKey: key, attempt: attempt, on: transaction.connection,
                                                        logger: transaction.logger)
            try await transaction.audit(.datasetUpload, by: caller, resource: "datasets/\(locked.datasetId)/versions/\(version)",
                                        details: ["format": .string(format.rawValue)])
            return .created(version)
        }
        let version: Int
        switch claim {
        case .replay(let digest, let answer):
            while try await body.next(nil) {}
            guard body.digest == digest else {
                throw APIError.unprocessable("Idempotency-Key \(key ?? "") was already used for another upload", code: "idempotency_key_reused",
                                             details: ["header": "Idempotent-Key"])
            }
            return answer.response(replayed: true)
        case .created(let created):
            version = created
        }

        var logger = context.logger
        logger[metadataKey: "dataset_id"] = "\(dataset.datasetId)"
        logger[metadataKey: "version"] = "\(version)"
        let validator = RowValidator(schema: dataset.schema, sampleLimit: settings.sampleLimit)
        var sink = RowSink(validator: validator, batch: RecordBatch(datasetId: dataset.datasetId, version: version,
                                                                    schemaVersion: dataset.schemaVersion),
                           batchRows: settings.batchRows)
        let shared = SharedProgress()
        let heartbeat = Task { await self.heartbeat(dataset: dataset.datasetId, version: version, attempt: attempt, shared: shared, logger: logger) }
        defer { heartbeat.cancel() }
        let outcome: Result<Void, UploadFailure>
        do {
            try await awaitOutbox(dataset.datasetId, logger: logger)
            var sender = BatchSender(producer: context.producer, topic: topic, dataset: dataset, version: version,
                                     source: context.descriptor.eventSource, window: settings.batchesInFlight)
            var pending = Self.withoutBOM(start)
            repeat {
                try pending.withUnsafeBytes { (bytes) throws in try reader.feed(bytes, into: &sink) }
                try await sender.send(sink.takeReady())
                shared.update(sink.validator.report, bytes: body.bytes)
                if shared.lost { throw UploadFailure(reason: .interrupted, message: Self.takenOver(lease: settings.lease)) }
                pending.removeAll(keepingCapacity: true)
            } while try await body.next { pending.append(contentsOf: $0) }
            try reader.finish(into: &sink)
            try body.finish()
            sink.flush()
            try await sender.send(sink.takeReady())
            try await sender.drain()
            shared.update(sink.validator.report, bytes: body.bytes)
            outcome = .success(())
        } catch let failure as UploadFailure {
            outcome = .failure(failure)
        } catch {
            outcome = .failure(UploadFailure(reason: .uploadAborted, message: "the upload broke off: \(error)"))
        }
        heartbeat.cancel()
        let digest = body.digest
        let report = sink.validator.report
        switch outcome {
        case .success:
            return try await seal(dataset: dataset, version: version, attempt: attempt, sink: sink, bytes: body.bytes, digest: digest,
                                  keep: key != nil)
        case .failure(let failure):
            logger.warning("upload failed", metadata: ["reason": "\(failure.reason.rawValue)", "message": "\(failure.message)"])
            let error = Self.error(for: failure, dataset: dataset.datasetId, version: version)
            // A failure the same body would meet again keeps its answer; a transient one frees the key for a retry.
            let final = failure.reason == .unreadable || failure.reason == .tooLarge
            try await context.transaction { transaction in
                guard try await store.holds(dataset.datasetId, version: version, attempt: attempt, on: transaction.connection,
                                            logger: transaction.logger) else { return }
                try await store.saveReport(dataset.datasetId, version: version, report: report, on: transaction.connection, logger: transaction.logger)
                try await closer.fail(dataset: dataset, version: version, reason: failure.reason, message: failure.message,
                                      progress: UploadProgress(report, bytes: body.bytes), digest: final ? digest : nil,
                                      answer: final ? (Int(error.status.code), error.body) : nil, in: transaction)
                if !final, key != nil {
                    try await store.releaseKey(dataset.datasetId, version: version, on: transaction.connection, logger: transaction.logger)
                }
            }
            throw error
        }
    }

    /// Rows go to Kafka straight from the producer, the dataset's registration and schema
    /// changes through the outbox: the first batch waits until the outbox has none of the
    /// dataset's events left to publish, so that consumers meet the dataset before its rows.
    private func awaitOutbox(_ datasetId: String, logger: Logger) async throws {
        let outbox = context.publisher.outbox, deadline = ContinuousClock.now + .seconds(30)
        while try await outbox.hasUnpublished(topic: topic, key: datasetId, client: context.postgres, logger: logger) {
            guard ContinuousClock.now < deadline else {
                throw UploadFailure(reason: .notDelivered, message: "the dataset's registration has not reached Kafka after 30 s; retry the upload")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private enum Claim: Sendable {
        case created(Int)
        /// The key's upload finished: the same body gets its answer again.
        case replay(digest: String, answer: CommandAnswer)
    }

    /// Decides what a request with the key of an earlier upload does: replay a finished one,
    /// wait for a live one, or take over one that was interrupted (nil: create a new version).
    private func reclaim(_ held: KeyedUpload, key: String, dataset: DatasetRecord, in transaction: EventTransaction) async throws -> Claim? {
        switch held.status {
        case .sealed, .failed:
            if let digest = held.contentDigest, let status = held.answerStatus, let answer = held.answer {
                return .replay(digest: digest, answer: CommandAnswer(status: .init(code: status), body: answer))
            }
        case .receiving:
            let runningHere = held.attempt.map(running.contains) ?? false
            if runningHere || (held.heartbeatAge.map { $0 < Double(settings.lease.components.seconds) } ?? false) {
                throw APIError(.conflict, code: "idempotency_key_in_use",
                               message: "an upload with Idempotency-Key \(key) is still running (version \(held.version)); follow it, or retry later",
                               details: ["dataset_id": held.datasetId, "version": String(held.version)], retryAfterSeconds: 1)
            }
            guard let owner = try await store.dataset(held.datasetId, tenant: dataset.tenantId, on: transaction.connection,
                                                      logger: transaction.logger) else { break }
            try await closer.fail(dataset: owner, version: held.version, reason: .interrupted,
                                  message: "the upload stopped without finishing; a retry with its Idempotency-Key took it over",
                                  progress: UploadProgress(), digest: nil, answer: nil, in: transaction)
        case .open:
            break
        }
        try await store.releaseKey(held.datasetId, version: held.version, on: transaction.connection, logger: transaction.logger)
        return nil
    }

    private func seal(dataset: DatasetRecord, version: Int, attempt: UUID, sink: RowSink, bytes: Int, digest: String?,
                      keep: Bool) async throws -> Response {
        let report = sink.validator.report
        let answer = try await context.transaction { transaction -> CommandAnswer in
            guard try await store.holds(dataset.datasetId, version: version, attempt: attempt, on: transaction.connection,
                                        logger: transaction.logger) else {
                throw APIError.conflict(Self.takenOver(lease: settings.lease), code: "upload_taken_over",
                                        details: ["dataset_id": dataset.datasetId, "version": String(version)])
            }
            var answer: CommandAnswer?
            let outcome = try await closer.close(dataset: dataset, version: version, schemaVersion: dataset.schemaVersion, schema: dataset.schema,
                                                 report: report, accumulators: sink.validator.accumulators, bytes: bytes, digest: digest,
                                                 answer: { record in
                let made: CommandAnswer
                if let record {
                    made = try CommandAnswer(.created, record)
                } else {
                    made = CommandAnswer(status: .unprocessableContent, body: Self.qualityError(report, dataset: dataset.datasetId, version: version,
                                                                                                 maxShare: closer.maxRejectedShare).body)
                }
                answer = made
                return (Int(made.status.code), made.body)
            }, in: transaction)
            _ = outcome
            guard let answer else { throw APIError(.internalServerError, code: "internal", message: "no answer") }
            return answer
        }
        return answer.response(replayed: false)
    }

    private func heartbeat(dataset: String, version: Int, attempt: UUID, shared: SharedProgress, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            guard !Task.isCancelled else { return }
            do {
                if try await !store.progress(dataset, version: version, attempt: attempt, shared.progress, client: context.postgres, logger: logger) {
                    shared.lost = true
                    return
                }
            } catch {
                logger.warning("recording upload progress failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Why an upload lost its version while it ran.
    static func takenOver(lease: Duration) -> String {
        "this upload's version was declared interrupted (no progress recorded for \(lease.components.seconds) s) by another replica's sweep "
            + "or by a retry with its Idempotency-Key, and failed; upload it again"
    }

    static func qualityError(_ report: QualityReport, dataset: String, version: Int, maxShare: Double) -> APIError {
        let details = ["dataset_id": dataset, "version": String(version), "rows_read": String(report.rowsRead),
                       "rows_rejected": String(report.rowsRejected)]
        if report.rowsAccepted == 0 {
            return APIError.unprocessable(report.rowsRead == 0 ? "the upload holds no rows" : "none of the \(report.rowsRead) rows is valid; see the quality report",
                                          code: "empty_dataset", details: details)
        }
        return APIError.unprocessable("\(report.rowsRejected) of \(report.rowsRead) rows were rejected (\(VersionCloser.percent(report.rejectedShare))), "
                                      + "more than the \(VersionCloser.percent(maxShare)) allowed; the version failed, see its quality report",
                                      code: DatasetFailureReason.tooManyRejectedRows.rawValue, details: details)
    }

    static func error(for failure: UploadFailure, dataset: String? = nil, version: Int? = nil) -> APIError {
        var details: [String: String]?
        if let dataset, let version { details = ["dataset_id": dataset, "version": String(version)] }
        switch failure.reason {
        case .tooLarge: return APIError(.contentTooLarge, code: "payload_too_large", message: failure.message, details: details)
        case .notDelivered: return APIError(.serviceUnavailable, code: "not_delivered", message: failure.message, details: details, retryAfterSeconds: 5)
        case .interrupted: return APIError.conflict(failure.message, code: "upload_taken_over", details: details)
        default: return APIError.badRequest(failure.message, code: failure.reason.rawValue, details: details)
        }
    }

    static func encoding(_ request: Request) throws(APIError) -> Encoding {
        switch request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) {
        case nil, "", "identity": return .identity
        case "gzip", "x-gzip": return .gzip
        case let other?: throw APIError.unsupportedMediaType("Content-Encoding \(other) is not supported; send gzip or no encoding")
        }
    }

    /// Bytes without a leading UTF-8 byte order mark (spreadsheets write one).
    static func withoutBOM(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }
}

extension UploadProgress {
    init(_ report: QualityReport, bytes: Int) {
        self.init(rowsRead: report.rowsRead, rowsAccepted: report.rowsAccepted, rowsRejected: report.rowsRejected, bytes: bytes)
    }
}

/// Counters the upload loop writes and the heartbeat reads.
final class SharedProgress: Sendable {
    private let state = Mutex<(UploadProgress, Bool)>((UploadProgress(), false))

    func update(_ report: QualityReport, bytes: Int) {
        state.withLock { $0.0 = UploadProgress(report, bytes: bytes) }
    }

    var progress: UploadProgress { state.withLock { $0.0 } }

    /// Set when the attempt no longer holds the version.
    var lost: Bool {
        get { state.withLock { $0.1 } }
        set { state.withLock { $0.1 = newValue } }
    }
}

extension DatasetUpload {
    /// Fails the uploads whose progress stopped for the lease (their replica was stopped or
    /// killed mid-upload): each gets `DatasetVersionFailed` with reason `interrupted`, and its key
    /// is free for a retry.
    func failInterrupted() async throws {
        try await context.transaction { transaction in
            for stale in try await store.failStale(lease: settings.lease, sparing: running.attempts, on: transaction.connection,
                                                   logger: transaction.logger) {
                try await store.releaseKey(stale.datasetId, version: stale.version, on: transaction.connection, logger: transaction.logger)
                try await transaction.publish(DatasetVersionFailed(datasetId: stale.datasetId, version: stale.version,
                                                                   reason: DatasetFailureReason.interrupted.rawValue,
                                                                   message: "the upload stopped without finishing (the service was stopped or killed); upload it again",
                                                                   rowsRead: stale.rowsRead, rowsRejected: stale.rowsRejected),
                                              key: stale.datasetId, subject: stale.datasetId, tenantId: stale.tenant)
                context.logger.warning("upload interrupted", metadata: ["dataset_id": "\(stale.datasetId)", "version": "\(stale.version)"])
            }
        }
    }
}
