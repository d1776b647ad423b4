import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP

/// Stage 1: a batch's records → requests. Checks the CloudEvents envelope exactly as every other
/// consumer does (`CloudEventEnvelope`), reading headers in place; records that are not events go
/// to the dead-letter topic, events of other types are skipped, and a body that is not an OIP v2
/// request becomes an `undecodable` (or `payload_too_large`) answer.
///
/// The common body (one numeric tensor) is read by `OIPTensorRequest` straight into the batch's
/// input buffer, and what the answers need of the record is copied into the batch's
/// `RequestBytes`: a request costs no allocation of its own.
struct RequestDecoder {
    struct Batch {
        var requests: [PredictionRequest] = []
        var bytes = RequestBytes()
        /// The numbers of every `.matrix` request, back to back.
        var inputs: [Float] = []
        var deadLetters: [(message: KafkaConsumerMessage, reason: String)] = []
        var skipped = 0
        /// Recent tenant and model names, so that a batch of one model's requests shares one `String`.
        var names = NameCache()
    }

    let maxRequestBytes: Int
    /// The one reply topic honoured (the platform's replies topic): a request cannot make
    /// inference write to any other topic.
    let replyTopic: String
    let metrics: InferenceMetrics?

    init(maxRequestBytes: Int, replyTopic: String, metrics: InferenceMetrics? = nil) {
        self.maxRequestBytes = maxRequestBytes
        self.replyTopic = replyTopic
        self.metrics = metrics
    }

    func decode<Records: ConsumedRecords>(_ records: Records, positions: some Collection<Int>, batchStart: Double) -> Batch {
        var batch = Batch()
        batch.requests.reserveCapacity(positions.count)
        batch.bytes = RequestBytes(capacity: positions.count * 96)
        batch.inputs.reserveCapacity(positions.count * 32)
        for position in positions {
            let structured = records.withRecord(at: position) { record in
                if record.header(named: CloudEventHeader.contentType)?.hasUTF8Prefix(CloudEvent.structuredContentType) ?? false {
                    return true
                }
                if let problem = CloudEventEnvelope.problem(header: { record.header(named: $0) }, valueCount: record.value?.count ?? 0) {
                    batch.deadLetters.append((records.copied(at: position), "not a CloudEvent: \(problem.message)"))
                } else if record.header(named: CloudEventHeader.type)?.isUTF8(of: PredictionRequested.eventType) ?? false {
                    let decoded = request(from: record, into: &batch, batchStart: batchStart)
                    batch.requests.append(decoded)
                } else {
                    batch.skipped += 1
                }
                return false
            }
            if structured { decodeStructured(records.copied(at: position), into: &batch, batchStart: batchStart) }
        }
        return batch
    }

    /// Structured mode is rare on this path: the event is read whole and re-entered as binary.
    private func decodeStructured(_ message: KafkaConsumerMessage, into batch: inout Batch, batchStart: Double) {
        let event: CloudEvent
        do {
            event = try CloudEvent(structuredJSON: message.value ?? [])
        } catch {
            batch.deadLetters.append((message, "not a CloudEvent: \(PredictionProcessor.reason(error))"))
            return
        }
        guard event.type == PredictionRequested.eventType else {
            batch.skipped += 1
            return
        }
        var binary = message
        binary.value = event.data
        binary.headers = event.kafkaHeaders.map { KafkaHeader(name: $0.name, string: $0.value) }
        let decoded = [binary].withRecord(at: 0) { request(from: $0, into: &batch, batchStart: batchStart) }
        batch.requests.append(decoded)
    }

    private func request(from record: some ConsumedRecord, into batch: inout Batch, batchStart: Double) -> PredictionRequest {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let eventIdBytes = record.header(named: CloudEventHeader.id) ?? empty
        let eventId = batch.bytes.append(eventIdBytes)
        let protobuf = record.header(named: CloudEventHeader.contentType)?.hasUTF8Prefix(OIPProtobuf.contentType) ?? false
        let value = record.value ?? empty
        var id: RequestBytes.Span?
        var model: String?, version: String?, alias: String?
        var input: RequestInput?
        var failure: PredictionFailure?
        if value.count > maxRequestBytes {
            failure = PredictionFailure(code: .payloadTooLarge, message: "request is \(value.count) bytes; the limit is \(maxRequestBytes)", version: nil)
        } else if !protobuf, let fast = try? OIPTensorRequest.decode(value.assumingMemoryBound(to: UInt8.self), appendingTo: &batch.inputs) {
            func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: value[range]) }
            if !fast.id.isEmpty { id = batch.bytes.append(slice(fast.id)) }
            model = batch.names.name(slice(fast.modelName))
            version = fast.modelVersion.map { String(decoding: slice($0), as: UTF8.self) }
            alias = fast.alias.map { batch.names.name(slice($0)) }
            input = .matrix(name: batch.names.name(slice(fast.tensorName)), datatype: batch.names.name(slice(fast.datatype)),
                            rows: fast.rows, columns: fast.columns, values: fast.values)
        } else {
            // Every other form, and every body the fast path refused: the general decoder has the last word.
            do {
                let body = protobuf ? try OIPProtobuf.decodeRequest(Array(value)) : try OIPRequest.decode(value.assumingMemoryBound(to: UInt8.self))
                if !body.id.isEmpty { id = batch.bytes.append(body.id) }
                (model, version, alias, input) = (body.modelName, body.modelVersion, body.alias, .body(body))
            } catch {
                failure = PredictionFailure(code: .undecodable, message: "request is not an OIP v2 inference request: \(PredictionProcessor.reason(error))",
                                            version: nil)
            }
        }
        // The request id is the body's; the record's subject (or ce_id) only when the body has none.
        let requestId = id ?? batch.bytes.append(record.header(named: CloudEventHeader.subject) ?? eventIdBytes)
        let tenantBytes = record.header(named: CloudEventHeader.tenantId)
        return PredictionRequest(
            eventId: eventId, tenantHeader: tenantBytes.map { batch.bytes.append($0) }, tenant: tenantBytes.map { batch.names.name($0) } ?? "",
            key: record.key.map { batch.bytes.append($0) },
            received: record.timestampMilliseconds.map { Double($0) / 1000 } ?? batchStart, protobuf: protobuf,
            id: requestId, model: model, version: version, alias: alias, input: input,
            reply: reply(of: record), failure: failure)
    }

    /// The reply address of a request-reply record: all three headers, the honoured topic and a
    /// valid partition. A record with some of them but not a usable address is answered on the
    /// results topic only, and counted.
    private func reply(of record: some ConsumedRecord) -> ReplyAddress? {
        guard let topic = record.header(named: ReplyHeader.replyTopic) else { return nil }
        guard topic.isUTF8(of: replyTopic),
              let partition = record.header(named: ReplyHeader.replyPartition).flatMap(ReplyHeader.decode(partition:)),
              let correlation = record.header(named: ReplyHeader.correlationId), !correlation.isEmpty else {
            metrics?.repliesRefused.increment()
            return nil
        }
        return ReplyAddress(topic: replyTopic, partition: partition, correlationId: Array(correlation))
    }
}

/// Names met in a batch (tenants, models, tensor names), kept as `String`s once: the requests of
/// one model share one string instead of each allocating its own.
struct NameCache {
    private var names: [String] = []
    private var next = 0
    static let capacity = 16

    mutating func name(_ bytes: UnsafeRawBufferPointer) -> String {
        for index in names.indices {
            if bytes.isUTF8(of: names[index]) { return names[index] }
        }
        let name = String(decoding: bytes, as: UTF8.self)
        if names.count < Self.capacity {
            names.append(name)
        } else {
            names[next] = name
            next = (next + 1) % Self.capacity
        }
        return name
    }
}
