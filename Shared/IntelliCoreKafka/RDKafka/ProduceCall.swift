import CRDKafka

/// Hands one record to `rd_kafka_produceva`, copying key, value and headers into librdkafka.
///
/// The record's strings and bytes are laid out in one reusable arena first, so a batch costs
/// no allocation per record once the arena has grown.
struct ProduceCall {
    private var arena: [UInt8] = []
    private var vus: [rd_kafka_vu_t] = []

    init() {
        arena.reserveCapacity(4096)
        vus.reserveCapacity(16)
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
        let headerAt = message.headers.map { header in
            (name: append(header.name.utf8, terminate: true), value: header.value.map { append($0, terminate: false) })
        }
        return arena.withUnsafeMutableBytes { raw -> rd_kafka_resp_err_t in
            let base = raw.baseAddress!
            func cstr(_ offset: Int) -> UnsafePointer<CChar> {
                UnsafePointer(base.advanced(by: offset).assumingMemoryBound(to: CChar.self))
            }
            vus.removeAll(keepingCapacity: true)
            var vu = rd_kafka_vu_t()
            vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = cstr(topicAt); vus.append(vu)
            vu = rd_kafka_vu_t()
            vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY; vus.append(vu)
            if let partition = message.partition {
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_PARTITION; vu.u.i32 = partition; vus.append(vu)
            }
            if let keyAt, let key = message.key {
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_KEY
                vu.u.mem.ptr = base.advanced(by: keyAt); vu.u.mem.size = key.count; vus.append(vu)
            }
            if let valueAt, let value = message.value {
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_VALUE
                vu.u.mem.ptr = base.advanced(by: valueAt); vu.u.mem.size = value.count; vus.append(vu)
            }
            for (header, offsets) in zip(message.headers, headerAt) {
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_HEADER
                vu.u.header.name = cstr(offsets.name)
                if let valueAt = offsets.value, let value = header.value {
                    vu.u.header.val = UnsafeRawPointer(base.advanced(by: valueAt)); vu.u.header.size = value.count
                } else {
                    vu.u.header.val = nil; vu.u.header.size = 0
                }
                vus.append(vu)
            }
            if let opaque {
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_OPAQUE; vu.u.ptr = opaque; vus.append(vu)
            }
            let error = vus.withUnsafeBufferPointer { rd_kafka_produceva(client, $0.baseAddress, $0.count) }
            guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            return code
        }
    }
}
