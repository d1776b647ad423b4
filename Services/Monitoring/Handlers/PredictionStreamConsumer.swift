import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP
import Logging
import ServiceLifecycle

/// Consumes prediction requests, answers and feedback at the full rate into `LiveMetrics`.
///
/// Answers and feedback are all counted (never sampled); request inputs are sampled for drift
/// (`MONITORING_INPUT_SAMPLE_RATE`, every n-th record of the requests topic, chosen before any of
/// its headers is read). A record re-sent with the same `ce_id`
/// within the dedupe horizon is counted once. A record monitoring cannot read goes to the
/// dead-letter topic with the reason; a record of another type on these topics is skipped.
/// Offsets are stored after a batch is applied (at least once; the windows are in memory).
struct PredictionStreamConsumer: Service {
    let consumer: KafkaConsumer
    let topics: TopicNames
    /// Answers and feedback in one consumer, requests in another (`MonitoringService.build`), so
    /// that the two streams are read and processed side by side.
    let subscribed: [Topic]
    let live: LiveMetrics
    let catalog: ModelCatalog
    let deadLetters: DeadLetterPublisher
    /// Every `sampleEvery`-th request's inputs are compared with the baseline (1: all).
    let sampleEvery: Int
    let batchSize: Int
    let logger: Logger
    /// Fills the model catalog before the first record is read.
    let prepare: @Sendable () async throws -> Void

    func run() async throws {
        try await prepare()
        try consumer.subscribe(topics: subscribed.map { topics[$0] })
        var sampled = 0
        // Records are read in place in librdkafka's memory (`KafkaRecordBatch`): nothing is copied
        // but what goes to the dead-letter topic.
        func fetch() -> Task<KafkaRecordBatch, any Error> {
            Task { [consumer, batchSize] in try await consumer.pollBatch(maxMessages: batchSize, timeout: .milliseconds(100)) }
        }
        var next = fetch()
        defer { next.cancel() }
        let requestsTopic = topics[.predictionRequests]
        // Two stages: a batch's records are read while the previous batch is applied to the
        // windows and its offsets stored (the apply and the dead letters of one batch finish
        // before the next batch's begin, so batches still take effect in order). Reading a large
        // batch is split in two halves read side by side.
        var applying: Task<Void, any Error>?
        do {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let batch = try await next.value
                next = fetch()
                guard !batch.isEmpty else { continue }
                let now = Date().timeIntervalSince1970
                // The requests topic is sampled by position before a header is read: librdkafka
                // parses a record's headers into a list of allocations on the first look.
                let candidates = batch.indices.filter { index in
                    guard batch[index].topic == requestsTopic else { return true }
                    sampled += 1
                    guard sampled >= sampleEvery else { return false }
                    sampled = 0
                    return true
                }
                let half = candidates.count >= 2 * Self.smallestHalf ? candidates.count / 2 : candidates.count
                async let firstKinds = classify(batch, candidates[..<half], now: now)
                let secondKinds = classify(batch, candidates[half...], now: now)
                let (kept, hashes) = await (firstKinds.kept + secondKinds.kept, firstKinds.hashes + secondKinds.hashes)
                let split = await firstKinds.kept.count
                let fresh = live.firstSight(hashes, at: Int64(now))
                async let firstRead = readAll(batch, kept[..<split], fresh: fresh[..<split], now: now)
                let secondRead = readAll(batch, kept[split...], fresh: fresh[split...], now: now)
                let records = await firstRead.records + secondRead.records
                let rejected = await firstRead.rejected + secondRead.rejected
                let offsets = batch.nextOffsets
                try await applying?.value
                applying = Task { [live, catalog, deadLetters, consumer, records, rejected] in
                    live.apply(records, now: now) { catalog.version($0)?.baseline }
                    for (message, reason) in rejected { try await deadLetters.publish(message, reason: reason) }
                    try consumer.storeOffsets(offsets)
                }
            }
            try await applying?.value
        } catch {
            _ = try? await applying?.value
            throw error
        }
        _ = try? await next.value
        await consumer.close()
    }

    /// Below this many records a batch is read in one piece.
    static let smallestHalf = 256

    /// What each candidate record is, from its type header's bytes, and the hash of its `ce_id`;
    /// records of other types and older than the hour kept are let go.
    private func classify(_ batch: KafkaRecordBatch, _ candidates: ArraySlice<Int>, now: Double) -> (kept: [(index: Int, kind: RecordKind)], hashes: [UInt64]) {
        var kept: [(index: Int, kind: RecordKind)] = []
        var hashes: [UInt64] = []
        kept.reserveCapacity(candidates.count)
        hashes.reserveCapacity(candidates.count)
        for index in candidates {
            let record = batch[index]
            guard let kind = RecordKind(record), record.timestampMilliseconds.map({ Double($0) / 1000 > now - 3600 }) ?? true else { continue }
            kept.append((index, kind))
            hashes.append(DuplicateFilter.hash(record.header(named: CloudEventHeader.id) ?? UnsafeRawBufferPointer(start: nil, count: 0)))
        }
        return (kept, hashes)
    }

    /// The fresh records read; the unreadable ones copied out with the reason.
    private func readAll(_ batch: KafkaRecordBatch, _ kept: ArraySlice<(index: Int, kind: RecordKind)>, fresh: ArraySlice<Bool>,
                         now: Double) -> (records: [StreamRecord], rejected: [(KafkaConsumerMessage, String)]) {
        var records: [StreamRecord] = []
        records.reserveCapacity(kept.count)
        var rejected: [(KafkaConsumerMessage, String)] = []
        var tenants = TenantNames()
        precondition(kept.count == fresh.count, "one first-sight answer per kept record")
        for ((index, kind), isFresh) in zip(kept, fresh) where isFresh {
            let record = batch[index]
            switch Result(catching: { () throws(AnswerReader.Unreadable) in try read(record, kind, now: now, tenants: &tenants) }) {
            case .success(let read?): records.append(read)
            case .success(nil): break
            case .failure(let unreadable): rejected.append((record.copied(), unreadable.description))
            }
        }
        return (records, rejected)
    }

    /// The four event types read here, told apart by their `ce_type` bytes (no string made).
    enum RecordKind: Sendable {
        case answer, failure, request, feedback

        private static let types: [(RecordKind, [UInt8])] = [
            (.answer, Array(PredictionCompleted.eventType.utf8)), (.request, Array(PredictionRequested.eventType.utf8)),
            (.failure, Array(PredictionFailed.eventType.utf8)), (.feedback, Array(PredictionFeedbackReceived.eventType.utf8)),
        ]

        var eventType: String {
            switch self {
            case .answer: PredictionCompleted.eventType
            case .failure: PredictionFailed.eventType
            case .request: PredictionRequested.eventType
            case .feedback: PredictionFeedbackReceived.eventType
            }
        }

        init?(_ record: KafkaRecordView) {
            guard let type = record.header(named: CloudEventHeader.type),
                  let found = Self.types.first(where: { $0.1.elementsEqual(type) }) else { return nil }
            self = found.0
        }
    }

    /// The tenant of consecutive records of one tenant made into a `String` once (a tenant id
    /// longer than 15 bytes is a heap allocation per record otherwise).
    struct TenantNames {
        private var bytes: [UInt8] = []
        private var name = ""

        mutating func name(_ header: UnsafeRawBufferPointer?) -> String? {
            guard let header, !header.isEmpty else { return nil }
            if !header.elementsEqual(bytes) {
                bytes = Array(header)
                name = String(decoding: header, as: UTF8.self)
            }
            return name
        }
    }

    private func read(_ record: KafkaRecordView, _ kind: RecordKind, now: Double,
                      tenants: inout TenantNames) throws(AnswerReader.Unreadable) -> StreamRecord? {
        let time = record.timestampMilliseconds.map { Double($0) / 1000 } ?? now
        guard let tenant = tenants.name(record.header(named: CloudEventHeader.tenantId)) else {
            throw AnswerReader.Unreadable(description: "\(kind.eventType) without ce_tenantid: monitoring cannot tell whose it is")
        }
        guard let raw = record.value else { throw AnswerReader.Unreadable(description: "\(kind.eventType) without a payload") }
        if let type = record.header(named: CloudEventHeader.contentType), !type.hasUTF8Prefix("application/json") {
            return nil // protobuf answers and requests: not read here (see docs/operations.md)
        }
        let value = raw.assumingMemoryBound(to: UInt8.self)
        switch kind {
        case .answer:
            return .answer(try AnswerReader.completed(value, tenant: tenant, time: time))
        case .failure:
            let failure = try AnswerReader.failed(value, tenant: tenant, time: time)
            // A failure for a model name nobody registered (`unknown_model`: any name a client
            // sends) makes no window or series of its own; it is counted as skipped.
            if case .failure(let version, _, _)? = failure, !catalog.knows(tenant: tenant, model: version.model) {
                live.skip { $0.failuresUnknownModel += 1 }
                return nil
            }
            return failure
        case .feedback:
            guard let feedback = try? EventCodec.decode(PredictionFeedbackReceived.self, from: Array(value)) else {
                throw AnswerReader.Unreadable(description: "PredictionFeedbackReceived payload is not a valid feedback (request_id, model_name, ground_truth)")
            }
            guard let truth = feedback.groundTruth.first, truth.isFinite else {
                throw AnswerReader.Unreadable(description: "PredictionFeedbackReceived without a finite ground_truth value")
            }
            return .feedback(requestId: DuplicateFilter.hash(feedback.requestId.utf8), truth: truth, time: time)
        case .request:
            // A request inference will refuse (malformed, unknown model) is inference's to answer;
            // monitoring counts its failure from the answer.
            guard let request = try? OIPRequest.decode(value) else { return nil }
            // A model, version or alias monitoring has not met on intellicore.models (yet): its
            // inputs cannot be compared with a baseline, and are counted as `inputs_unattributed`.
            guard let (number, version) = catalog.resolve(tenant: tenant, model: request.modelName, version: request.modelVersion,
                                                          alias: request.alias) else {
                live.skip { $0.inputsUnattributed += 1 }
                return nil
            }
            guard let (rows, values) = try? InputAssembler.rows(for: request, schema: version.schema) else { return nil }
            return .inputs(MonitoredVersion(tenant: tenant, model: request.modelName, version: String(number)), rows: rows, values: values, time: time)
        }
    }
}
