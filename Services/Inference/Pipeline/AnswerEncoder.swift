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

    /// Timings of the batch, reported in completed JSON answers.
    struct Timings {
        let batchStart: Double
        let computeSeconds: Double
    }

    static let resultSuffix = Array("/result".utf8)
    static let shadowSuffix = Array("/shadow".utf8)

    /// The batch's answers, written into one arena in request order: a request's answer, its reply
    /// copy when it asked for one, then its shadow's answer.
    func answers(_ requests: [PredictionRequest], bytes: RequestBytes, jobs: [PredictionJob], outputs: [Float], timings: Timings) -> KafkaProducerBatch {
        let now = Date()
        let time = EventCodec.formatTime(now)
        let finished = now.timeIntervalSince1970
        // Which job answers each request, and which answers for its shadow (-1: none).
        var primary = [Int32](repeating: -1, count: requests.count)
        var shadows = [Int32](repeating: -1, count: requests.count)
        var served: [InferenceMetrics.ServedKey: Int] = [:]
        for (index, job) in jobs.enumerated() {
            // A failed request gets its failure only, even where a job of it has an output.
            guard job.output != nil, job.shadow || requests[job.request].failure == nil else { continue }
            if job.shadow { shadows[job.request] = Int32(index) } else { primary[job.request] = Int32(index) }
            served[InferenceMetrics.ServedKey(version: job.key, shadow: job.shadow), default: 0] += 1
            if !job.shadow {
                let received = requests[job.request].received
                metrics.recordLatency(queue: timings.batchStart - received, total: finished - received)
            }
        }
        metrics.recordServed(served)
        var batch = KafkaProducerBatch(records: requests.count, bytesPerRecord: 640, headersPerRecord: 8)
        for index in requests.indices {
            let request = requests[index]
            var answered = true
            if let failure = request.failure {
                begin(&batch, request, bytes: bytes, type: PredictionFailed.eventType, suffix: Self.resultSuffix, time: time, protobuf: false)
                batch.writeValue { buffer in
                    bytes.withBytes(request.id) { id in
                        OIPResultEncoder.failed(into: &buffer, id: id, model: request.model, version: failure.version, code: failure.code.rawValue,
                                                message: failure.message, shadow: false)
                    }
                }
                metrics.recordFailure(code: failure.code)
            } else if primary[index] >= 0 {
                encode(&batch, request, job: jobs[Int(primary[index])], bytes: bytes, outputs: outputs, time: time, timings: timings,
                       finished: finished)
            } else {
                answered = false
            }
            if answered, let reply = request.reply {
                batch.appendCopy(of: batch.count - 1, topic: reply.topic, partition: reply.partition,
                                 extraHeader: (ReplyHeader.correlationId, reply.correlationId))
            }
            if shadows[index] >= 0 { encode(&batch, request, job: jobs[Int(shadows[index])], bytes: bytes, outputs: outputs, time: time, timings: timings,
                       finished: finished) }
        }
        return batch
    }

    private func encode(_ batch: inout KafkaProducerBatch, _ request: PredictionRequest, job: PredictionJob, bytes: RequestBytes, outputs: [Float],
                        time: String, timings: Timings, finished: Double) {
        begin(&batch, request, bytes: bytes, type: PredictionCompleted.eventType, suffix: job.shadow ? Self.shadowSuffix : Self.resultSuffix,
              time: time, protobuf: request.protobuf)
        guard let output = job.output else { return }
        outputs.withUnsafeBufferPointer { outputs in
            let values = UnsafeBufferPointer(rebasing: outputs[output])
            if request.protobuf {
                batch.setValue(OIPProtobuf.encodeResponse(id: bytes.string(request.id), model: job.key.model, version: job.key.version,
                                                          outputName: job.network.outputName, rows: job.rows, columns: job.network.outputWidth,
                                                          values: values, shadow: job.shadow))
                return
            }
            batch.writeValue { buffer in
                bytes.withBytes(request.id) { id in
                    OIPResultEncoder.completed(into: &buffer, id: id, model: job.key.model, version: job.key.version, outputName: job.network.outputName,
                                               rows: job.rows, columns: job.network.outputWidth, values: values, shadow: job.shadow,
                                               queueSeconds: max(0, timings.batchStart - request.received), computeSeconds: timings.computeSeconds,
                                               totalSeconds: max(0, finished - request.received))
                }
            }
        }
    }

    /// Starts an answer record: key and CloudEvents headers. Deterministic ids: a batch redone
    /// after a crash re-emits the same `ce_id`, which consumers deduplicate.
    private func begin(_ batch: inout KafkaProducerBatch, _ request: PredictionRequest, bytes: RequestBytes, type: String, suffix: [UInt8],
                       time: String, protobuf: Bool) {
        batch.beginRecord(topic: resultsTopic)
        bytes.withBytes(request.key ?? request.id) { batch.setKey($0) }
        batch.addHeader(name: CloudEventHeader.specVersion, value: CloudEvent.specVersion)
        batch.addHeader(name: CloudEventHeader.id) { buffer in
            bytes.withBytes(request.eventId) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: suffix)
        }
        batch.addHeader(name: CloudEventHeader.source, value: source)
        batch.addHeader(name: CloudEventHeader.type, value: type)
        batch.addHeader(name: CloudEventHeader.time, value: time)
        bytes.withBytes(request.id) { batch.addHeader(name: CloudEventHeader.subject, value: $0) }
        if let tenant = request.tenantHeader { bytes.withBytes(tenant) { batch.addHeader(name: CloudEventHeader.tenantId, value: $0) } }
        batch.addHeader(name: CloudEventHeader.contentType, value: protobuf ? OIPProtobuf.contentType : CloudEvent.jsonContentType)
    }
}
