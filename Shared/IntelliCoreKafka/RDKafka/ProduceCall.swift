import CRDKafka

/// Hands one record to `rd_kafka_produceva`, copying key, value and headers into librdkafka.
///
/// The record's strings and bytes are laid out in one reusable arena first, and its headers
/// serialised into another (`RD_KAFKA_VTYPE_HEADERS_RAW`, ADR 0016: librdkafka copies them with
/// the message instead of building a list of them), so a batch costs no allocation per record
/// here once the arenas have grown, and one in librdkafka (the message).
struct ProduceCall {
    private var arena: [UInt8] = []
    /// The record's headers in the wire format, without their count.
    private var wire: [UInt8] = []
    private var vus: [rd_kafka_vu_t] = []

    init() {
        arena.reserveCapacity(4096)
        wire.reserveCapacity(1024)
        vus.reserveCapacity(8)
    }

    mutating func produce(_ message: KafkaProducerMessage, on client: OpaquePointer,
                          opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        arena.removeAll(keepingCapacity: true)
        func append(_ bytes: some Collection<UInt8>, terminate: Bool) -> Int {
            let start = arena.count
            arena.append(contentsOf: bytes)
            if terminate { arena.append(0) }
            return start
        }
        let topicAt = append(message.topic.utf8, terminate: true)
        let keyAt = message.key.map { append($0, terminate: false) }
        let valueAt = message.value.map { append($0, terminate: false) }
        wire.removeAll(keepingCapacity: true)
        for header in message.headers { KafkaRecordHeaders.appendSerialized(name: header.name.utf8, value: header.value, to: &wire) }
        return arena.withUnsafeMutableBytes { raw -> rd_kafka_resp_err_t in
            let base = raw.baseAddress!
            func cstr(_ offset: Int) -> UnsafePointer<CChar> {
                UnsafePointer(base.advanced(by: offset).assumingMemoryBound(to: CChar.self))
            }
            vus.removeAll(keepingCapacity: true)
            Self.appendRecord(to: &vus, topic: cstr(topicAt), partition: message.partition,
                         key: keyAt.map { UnsafeRawBufferPointer(start: base.advanced(by: $0), count: message.key!.count) },
                         value: valueAt.map { UnsafeRawBufferPointer(start: base.advanced(by: $0), count: message.value!.count) })
            return Self.finish(&vus, wire: wire, headerCount: message.headers.count, opaque: opaque, on: client)
        }
    }

    /// Hands record `index` of `batch` to librdkafka, read from the batch's arena at `base`.
    mutating func produce(_ batch: KafkaProducerBatch, record index: Int, base: UnsafeRawPointer, on client: OpaquePointer,
                          opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        func cstr(_ span: KafkaProducerBatch.Span) -> UnsafePointer<CChar> {
            UnsafePointer(base.advanced(by: Int(span.start)).assumingMemoryBound(to: CChar.self))
        }
        func bytes(_ span: KafkaProducerBatch.Span) -> UnsafeRawBufferPointer? {
            span.count < 0 ? nil : UnsafeRawBufferPointer(start: base.advanced(by: Int(span.start)), count: Int(span.count))
        }
        let record = batch.records[index]
        vus.removeAll(keepingCapacity: true)
        Self.appendRecord(to: &vus, topic: cstr(batch.topicSpans[Int(record.topic)]), partition: record.partition < 0 ? nil : record.partition,
                     key: bytes(record.key), value: bytes(record.value))
        wire.removeAll(keepingCapacity: true)
        for header in batch.headers[Int(record.firstHeader)..<Int(record.firstHeader + record.headerCount)] {
            KafkaRecordHeaders.appendSerialized(name: bytes(header.name)!, value: bytes(header.value), to: &wire)
        }
        return Self.finish(&vus, wire: wire, headerCount: Int(record.headerCount), opaque: opaque, on: client)
    }

    /// Adds the serialised headers (`wire`) and the opaque to `vus`, and calls librdkafka.
    private static func finish(_ vus: inout [rd_kafka_vu_t], wire: [UInt8], headerCount: Int, opaque: UnsafeMutableRawPointer?,
                               on client: OpaquePointer) -> rd_kafka_resp_err_t {
        wire.withUnsafeBytes { headers in
            if headerCount > 0 {
                var vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_HEADERS_RAW
                vu.u.raw_headers.ptr = headers.baseAddress
                vu.u.raw_headers.size = headers.count
                vu.u.raw_headers.count = Int32(headerCount)
                vus.append(vu)
            }
            Self.appendOpaque(opaque, to: &vus)
            return Self.call(client, vus)
        }
    }

    private static func appendRecord(to vus: inout [rd_kafka_vu_t], topic: UnsafePointer<CChar>, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?) {
        var vu = rd_kafka_vu_t()
        vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topic; vus.append(vu)
        vu = rd_kafka_vu_t()
        vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY; vus.append(vu)
        if let partition {
            vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = partition; vus.append(vu)
        }
        if let key {
            vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_KEY
            vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress); vu.u.mem.size = key.count; vus.append(vu)
        }
        if let value {
            vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_VALUE
            vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress); vu.u.mem.size = value.count; vus.append(vu)
        }
    }

    private static func appendOpaque(_ opaque: UnsafeMutableRawPointer?, to vus: inout [rd_kafka_vu_t]) {
        guard let opaque else { return }
        var vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_OPAQUE; vu.u.ptr = opaque; vus.append(vu)
    }

    private static func call(_ client: OpaquePointer, _ vus: [rd_kafka_vu_t]) -> rd_kafka_resp_err_t {
        let error = vus.withUnsafeBufferPointer { rd_kafka_produceva(client, $0.baseAddress, $0.count) }
        guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
        let code = rd_kafka_error_code(error)
        rd_kafka_error_destroy(error)
        return code
    }
}
