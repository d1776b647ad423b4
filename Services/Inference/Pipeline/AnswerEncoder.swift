import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP

/// Stage 7: the answer records, walked by request position so that one entity's answers keep the
/// order of its requests whatever their outcome — a request's answer, then its shadow's.
struct AnswerEncoder: Sendable {
    let resultsTopic: String
    /// `ce_source` of the answers: the service's event source.
    let source: String
    let metrics: InferenceMetrics

    /// Header values shared by every answer of a batch, built once: per-answer header arrays were
    /// a visible share of the allocations in the profile.
    struct SharedHeaders {
        let specVersion = KafkaHeader(name: CloudEventHeader.specVersion, string: CloudEvent.specVersion)
        let source: KafkaHeader
        let completed = KafkaHeader(name: CloudEventHeader.type, string: PredictionCompleted.eventType)
        let failed = KafkaHeader(name: CloudEventHeader.type, string: PredictionFailed.eventType)
        let json = KafkaHeader(name: CloudEventHeader.contentType, string: CloudEvent.jsonContentType)
        let protobuf = KafkaHeader(name: CloudEventHeader.contentType, string: OIPProtobuf.contentType)
        let time: KafkaHeader
        static let resultSuffix = Array("/result".utf8)
        static let shadowSuffix = Array("/shadow".utf8)

        init(time: String, source: String) {
            self.time = KafkaHeader(name: CloudEventHeader.time, string: time)
            self.source = KafkaHeader(name: CloudEventHeader.source, string: source)
        }
    }

    /// Timings of the batch, reported in completed JSON answers.
    struct Timings {
        let batchStart: Double
        let computeSeconds: Double
    }

    func answers(_ requests: [PredictionRequest], jobs: [PredictionJob], timings: Timings) -> [KafkaProducerMessage] {
        let now = Date()
        let shared = SharedHeaders(time: EventCodec.formatTime(now), source: source)
        let finished = now.timeIntervalSince1970
        var primary = [KafkaProducerMessage?](repeating: nil, count: requests.count)
        var shadows = [KafkaProducerMessage?](repeating: nil, count: requests.count)
        var served: [InferenceMetrics.ServedKey: Int] = [:]
        for job in jobs {
            let request = requests[job.request]
            // A failed request gets its failure only, even where a job of it has an output.
            guard let values = job.output, job.shadow || request.failure == nil else { continue }
            let body = values.withUnsafeBufferPointer { values in
                request.protobuf
                    ? OIPProtobuf.encodeResponse(id: request.id, model: job.key.model, version: job.key.version, outputName: job.network.outputName,
                                                 rows: job.rows, columns: job.network.outputWidth, values: values, shadow: job.shadow)
                    : OIPResultEncoder.completed(id: request.id, model: job.key.model, version: job.key.version, outputName: job.network.outputName,
                                                 rows: job.rows, columns: job.network.outputWidth, values: values, shadow: job.shadow,
                                                 queueSeconds: max(0, timings.batchStart - request.received), computeSeconds: timings.computeSeconds,
                                                 totalSeconds: max(0, finished - request.received))
            }
            let answer = message(for: request, completed: true, shadow: job.shadow, protobuf: request.protobuf, shared: shared, body: body)
            if job.shadow { shadows[job.request] = answer } else { primary[job.request] = answer }
            served[InferenceMetrics.ServedKey(version: job.key, shadow: job.shadow), default: 0] += 1
            if !job.shadow { metrics.recordLatency(queue: timings.batchStart - request.received, total: finished - request.received) }
        }
        metrics.recordServed(served)
        for index in requests.indices {
            guard let failure = requests[index].failure else { continue }
            let request = requests[index]
            let body = OIPResultEncoder.failed(id: request.id, model: request.model, version: failure.version, code: failure.code.rawValue,
                                               message: failure.message, shadow: false)
            primary[index] = message(for: request, completed: false, shadow: false, protobuf: false, shared: shared, body: body)
            metrics.recordFailure(code: failure.code)
        }
        var results: [KafkaProducerMessage] = []
        results.reserveCapacity(requests.count)
        for index in requests.indices {
            if let answer = primary[index] {
                results.append(answer)
                if let reply = requests[index].reply { results.append(Self.reply(answer, to: reply)) }
            }
            if let answer = shadows[index] { results.append(answer) }
        }
        return results
    }

    /// The same answer for the caller waiting on `address`, its correlation id attached.
    static func reply(_ answer: KafkaProducerMessage, to address: ReplyAddress) -> KafkaProducerMessage {
        var reply = answer
        reply.topic = address.topic
        reply.partition = address.partition
        reply.headers.append(KafkaHeader(name: ReplyHeader.correlationId, value: address.correlationId))
        return reply
    }

    private func message(for request: PredictionRequest, completed: Bool, shadow: Bool, protobuf: Bool, shared: SharedHeaders,
                         body: [UInt8]) -> KafkaProducerMessage {
        // Deterministic: a batch redone after a crash re-emits the same ce_id, which consumers dedupe.
        let suffix = shadow ? SharedHeaders.shadowSuffix : SharedHeaders.resultSuffix
        var answerId: [UInt8] = []
        answerId.reserveCapacity(request.eventId.count + suffix.count) // one allocation, no regrowth
        answerId.append(contentsOf: request.eventId)
        answerId.append(contentsOf: suffix)
        let id = Array(request.id.utf8)
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(8)
        headers.append(shared.specVersion)
        headers.append(KafkaHeader(name: CloudEventHeader.id, value: answerId))
        headers.append(shared.source)
        headers.append(completed ? shared.completed : shared.failed)
        headers.append(shared.time)
        headers.append(KafkaHeader(name: CloudEventHeader.subject, value: id))
        if let tenant = request.tenantHeader { headers.append(KafkaHeader(name: CloudEventHeader.tenantId, value: tenant)) }
        headers.append(protobuf ? shared.protobuf : shared.json)
        return KafkaProducerMessage(topic: resultsTopic, key: request.key ?? id, value: body, headers: headers)
    }
}
