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
/// (`MONITORING_INPUT_SAMPLE_RATE`, every n-th request). A record re-sent with the same `ce_id`
/// within the dedupe horizon is counted once. A record monitoring cannot read goes to the
/// dead-letter topic with the reason; a record of another type on these topics is skipped.
/// Offsets are stored after a batch is applied (at least once; the windows are in memory).
struct PredictionStreamConsumer: Service {
    let consumer: KafkaConsumer
    let topics: TopicNames
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
        try consumer.subscribe(topics: [topics[.predictionRequests], topics[.predictionResults], topics[.predictionFeedback]])
        var sampled = 0
        func fetch() -> Task<[KafkaConsumerMessage], any Error> {
            Task { [consumer, batchSize] in try await consumer.poll(maxMessages: batchSize, timeout: .milliseconds(100)) }
        }
        var next = fetch()
        defer { next.cancel() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch = try await next.value
            next = fetch()
            guard !batch.isEmpty else { continue }
            let now = Date().timeIntervalSince1970
            var records: [StreamRecord] = []
            records.reserveCapacity(batch.count)
            var rejected: [(KafkaConsumerMessage, String)] = []
            let ids = batch.map { DuplicateFilter.hash($0.headerBytes(named: CloudEventHeader.id) ?? []) }
            let fresh = live.firstSight(ids, at: Int64(now))
            for (index, message) in batch.enumerated() where fresh[index] {
                switch Result(catching: { () throws(AnswerReader.Unreadable) in try read(message, now: now, sampled: &sampled) }) {
                case .success(let record?): records.append(record)
                case .success(nil): break
                case .failure(let unreadable): rejected.append((message, unreadable.description))
                }
            }
            live.apply(records, now: now) { catalog.version($0)?.baseline }
            for (message, reason) in rejected { try await deadLetters.publish(message, reason: reason) }
            try consumer.storeOffsets(for: batch)
        }
        _ = try? await next.value
        await consumer.close()
    }

    private func read(_ message: KafkaConsumerMessage, now: Double, sampled: inout Int) throws(AnswerReader.Unreadable) -> StreamRecord? {
        let time = message.timestampMilliseconds.map { Double($0) / 1000 } ?? now
        guard time > now - 3600 else { return nil } // older than every window: skipped without reading
        let type = message.headerString(named: CloudEventHeader.type)
        guard let type, [PredictionCompleted.eventType, PredictionFailed.eventType, PredictionRequested.eventType,
                         PredictionFeedbackReceived.eventType].contains(type) else { return nil }
        guard let tenant = message.headerString(named: CloudEventHeader.tenantId), !tenant.isEmpty else {
            throw AnswerReader.Unreadable(description: "\(type) without ce_tenantid: monitoring cannot tell whose it is")
        }
        guard let value = message.value else { throw AnswerReader.Unreadable(description: "\(type) without a payload") }
        if let contentType = message.headerString(named: CloudEventHeader.contentType), !contentType.hasPrefix("application/json") {
            return nil // protobuf answers and requests: not read here (see docs/operations.md)
        }
        switch type {
        case PredictionCompleted.eventType:
            return .answer(try value.withUnsafeBufferPointer { bytes throws(AnswerReader.Unreadable) in
                try AnswerReader.completed(bytes, tenant: tenant, time: time)
            })
        case PredictionFailed.eventType:
            return try value.withUnsafeBufferPointer { bytes throws(AnswerReader.Unreadable) in
                try AnswerReader.failed(bytes, tenant: tenant, time: time)
            }
        case PredictionFeedbackReceived.eventType:
            guard let feedback = try? EventCodec.decode(PredictionFeedbackReceived.self, from: value) else {
                throw AnswerReader.Unreadable(description: "PredictionFeedbackReceived payload is not a valid feedback (request_id, model_name, ground_truth)")
            }
            guard let truth = feedback.groundTruth.first, truth.isFinite else {
                throw AnswerReader.Unreadable(description: "PredictionFeedbackReceived without a finite ground_truth value")
            }
            return .feedback(requestId: DuplicateFilter.hash(feedback.requestId.utf8), truth: truth, time: time)
        default:
            sampled += 1
            guard sampled >= sampleEvery else { return nil }
            sampled = 0
            // A request inference will refuse (malformed, unknown model) is inference's to answer;
            // monitoring counts its failure from the answer.
            guard let request = try? OIPRequest.decode(value),
                  let (number, version) = catalog.resolve(tenant: tenant, model: request.modelName, version: request.modelVersion,
                                                          alias: request.alias),
                  let (rows, values) = try? InputAssembler.rows(for: request, schema: version.schema) else { return nil }
            return .inputs(MonitoredVersion(tenant: tenant, model: request.modelName, version: String(number)), rows: rows, values: values, time: time)
        }
    }
}
