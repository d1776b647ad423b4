import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP

/// Stage 1: a batch's records → requests. Checks the CloudEvents envelope exactly as every other
/// consumer does (`CloudEventEnvelope`), reading headers in place; records that are not events go
/// to the dead-letter topic, events of other types are skipped, and a body that is not an OIP v2
/// request becomes an `undecodable` (or `payload_too_large`) answer.
struct RequestDecoder {
    struct Batch {
        var requests: [PredictionRequest] = []
        var deadLetters: [(message: KafkaConsumerMessage, reason: String)] = []
        var skipped = 0
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

    func decode(_ messages: [KafkaConsumerMessage], positions: some Collection<Int>, batchStart: Double) -> Batch {
        var batch = Batch()
        batch.requests.reserveCapacity(positions.count)
        for position in positions {
            let message = messages[position]
            if message.header(named: CloudEventHeader.contentType, hasPrefix: CloudEvent.structuredContentType) {
                decodeStructured(message, into: &batch, batchStart: batchStart)
                continue
            }
            if let problem = CloudEventEnvelope.problem(header: { message.headerBytes(named: $0) }, valueCount: message.value?.count ?? 0) {
                batch.deadLetters.append((message, "not a CloudEvent: \(problem.message)"))
                continue
            }
            guard message.header(named: CloudEventHeader.type, equals: PredictionRequested.eventType) else {
                batch.skipped += 1
                continue
            }
            batch.requests.append(request(from: message, batchStart: batchStart))
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
        batch.requests.append(request(from: binary, batchStart: batchStart))
    }

    private func request(from message: KafkaConsumerMessage, batchStart: Double) -> PredictionRequest {
        let eventId = message.headerBytes(named: CloudEventHeader.id) ?? []
        let protobuf = message.header(named: CloudEventHeader.contentType, hasPrefix: OIPProtobuf.contentType)
        let value = message.value ?? []
        var body: OIPRequest?
        var failure: PredictionFailure?
        if value.count > maxRequestBytes {
            failure = PredictionFailure(code: .payloadTooLarge, message: "request is \(value.count) bytes; the limit is \(maxRequestBytes)", version: nil)
        } else {
            do {
                body = protobuf ? try OIPProtobuf.decodeRequest(value) : try OIPRequest.decode(value)
            } catch {
                failure = PredictionFailure(code: .undecodable, message: "request is not an OIP v2 inference request: \(PredictionProcessor.reason(error))",
                                            version: nil)
            }
        }
        // The request id is the body's; the record's subject (or ce_id) only when the body has none.
        var id = body?.id ?? ""
        if id.isEmpty { id = message.headerString(named: CloudEventHeader.subject) ?? String(decoding: eventId, as: UTF8.self) }
        return PredictionRequest(
            eventId: eventId, tenantHeader: message.header(named: CloudEventHeader.tenantId), key: message.key,
            received: message.timestampMilliseconds.map { Double($0) / 1000 } ?? batchStart, protobuf: protobuf,
            id: id, model: body?.modelName, body: body,
            reply: reply(of: message), failure: failure)
    }

    /// The reply address of a request-reply record: all three headers, the honoured topic and a
    /// valid partition. A record with some of them but not a usable address is answered on the
    /// results topic only, and counted.
    private func reply(of message: KafkaConsumerMessage) -> ReplyAddress? {
        guard let topic = message.headerBytes(named: ReplyHeader.replyTopic) else { return nil }
        guard topic.elementsEqual(replyTopic.utf8),
              let partition = message.headerBytes(named: ReplyHeader.replyPartition).flatMap(ReplyHeader.decode(partition:)),
              let correlation = message.headerBytes(named: ReplyHeader.correlationId), !correlation.isEmpty else {
            metrics?.repliesRefused.increment()
            return nil
        }
        return ReplyAddress(topic: replyTopic, partition: partition, correlationId: Array(correlation))
    }
}
