import CRDKafka
import Testing

/// The produce-side addition of our librdkafka patches (ADR 0016), called directly: what the
/// Swift client relies on, and what a malformed call gets. The consume side
/// (`rd_kafka_message_headers_raw`) has no public way to build a message, so `MockClusterTests`
/// checks it: what is read in place must be what was produced.
@Suite struct LibrdkafkaPatchTests {
    /// A producer on librdkafka's mock cluster; nothing is sent before `body` returns.
    func withProducer(_ body: (OpaquePointer) throws -> Void) throws {
        let conf = rd_kafka_conf_new()
        var errors = [CChar](repeating: 0, count: 256)
        #expect(rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", &errors, errors.count) == RD_KAFKA_CONF_OK)
        let handle = try #require(rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errors, errors.count),
                                  "rd_kafka_new: \(String(decoding: errors.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        defer {
            rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE)
            rd_kafka_destroy(handle)
        }
        try body(handle)
    }

    /// rd_kafka_produceva with the topic, a value and `raw` as VTYPE_HEADERS_RAW holding `count`
    /// headers (and a VTYPE_HEADER before or after it, when `alsoAHeader`): the error's code and text.
    func produce(_ handle: OpaquePointer, raw: [UInt8], count: Int32, alsoAHeader: Bool = false,
                 headerFirst: Bool = true) -> (code: rd_kafka_resp_err_t, text: String) {
        "patch-test".withCString { topic in
            raw.withUnsafeBytes { bytes in
                var vus: [rd_kafka_vu_t] = []
                var vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_TOPIC; vu.u.cstr = topic; vus.append(vu)
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS; vu.u.i = RD_KAFKA_MSG_F_COPY; vus.append(vu)
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_VALUE
                vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: bytes.baseAddress); vu.u.mem.size = bytes.count; vus.append(vu)
                var header = rd_kafka_vu_t(); header.vtype = RD_KAFKA_VTYPE_HEADER; header.u.header.name = topic; header.u.header.size = 0
                if alsoAHeader && headerFirst { vus.append(header) }
                vu = rd_kafka_vu_t(); vu.vtype = RD_KAFKA_VTYPE_HEADERS_RAW
                vu.u.raw_headers.ptr = bytes.baseAddress; vu.u.raw_headers.size = bytes.count; vu.u.raw_headers.count = count
                vus.append(vu)
                if alsoAHeader && !headerFirst { vus.append(header) }
                guard let error = vus.withUnsafeBufferPointer({ rd_kafka_produceva(handle, $0.baseAddress, $0.count) }) else {
                    return (RD_KAFKA_RESP_ERR_NO_ERROR, "")
                }
                defer { rd_kafka_error_destroy(error) }
                return (rd_kafka_error_code(error), String(cString: rd_kafka_error_string(error)))
            }
        }
    }

    @Test func serialisedHeadersAreTakenWhenTheyHoldExactlyTheirCount() throws {
        let two = Array(KafkaRecordHeadersTests.field([("ce_id", Array("a".utf8)), ("empty", nil)]).dropFirst())
        try withProducer { handle in
            #expect(produce(handle, raw: two, count: 2).code == RD_KAFKA_RESP_ERR_NO_ERROR)
            #expect(produce(handle, raw: [], count: 0).code == RD_KAFKA_RESP_ERR_NO_ERROR, "no headers")
            for (raw, count, reason) in [(two, Int32(1), "fewer headers counted than given"), (two, 3, "more counted than given"),
                                         (Array(two.dropLast()), 2, "cut short"), ([0x80, 0x80], 1, "unterminated length"),
                                         (KafkaRecordHeadersTests.varint(-1) + [0], 1, "negative name length"),
                                         (two, -1, "negative count")] {
                let result = produce(handle, raw: raw, count: count)
                #expect(result.code == RD_KAFKA_RESP_ERR__INVALID_ARG, "\(reason): \(result.text)")
                #expect(count < 0 || result.text.contains("serialised headers"), "\(reason): \(result.text)")
            }
            for headerFirst in [true, false] {
                let both = produce(handle, raw: two, count: 2, alsoAHeader: true, headerFirst: headerFirst)
                #expect(both.code == RD_KAFKA_RESP_ERR__CONFLICT, "VTYPE_HEADER and VTYPE_HEADERS_RAW together: \(both.text)")
            }
        }
    }
}
