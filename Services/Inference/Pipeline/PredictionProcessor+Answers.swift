import IntelliCoreEvents
import IntelliCoreKafka

/// The answer records: CloudEvents headers and key for one answer.
extension PredictionProcessor {
    /// Header values shared by every answer of a batch, built once: per-answer header arrays were
    /// a visible share of the allocations in the profile.
    struct SharedHeaders {
        let specVersion = KafkaHeader(name: CloudEventHeader.specVersion, string: CloudEvent.specVersion)
        let source = KafkaHeader(name: CloudEventHeader.source, string: "/intellicore/inference")
        let completed = KafkaHeader(name: CloudEventHeader.type, string: PredictionCompleted.eventType)
        let failed = KafkaHeader(name: CloudEventHeader.type, string: PredictionFailed.eventType)
        let json = KafkaHeader(name: CloudEventHeader.contentType, string: CloudEvent.jsonContentType)
        let protobuf = KafkaHeader(name: CloudEventHeader.contentType, string: OIPProtobuf.contentType)
        let time: KafkaHeader
        static let resultSuffix = Array("/result".utf8)
        static let shadowSuffix = Array("/shadow".utf8)

        init(time: String) {
            self.time = KafkaHeader(name: CloudEventHeader.time, string: time)
        }
    }

    func resultMessage(for request: Request, completed: Bool, shadow: Bool, protobuf: Bool, shared: SharedHeaders,
                               body: [UInt8]) -> KafkaProducerMessage {
        // Deterministic: a batch redone after a crash re-emits the same ce_id, which consumers dedupe.
        var answerId = request.eventId
        answerId.append(contentsOf: shadow ? SharedHeaders.shadowSuffix : SharedHeaders.resultSuffix)
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
