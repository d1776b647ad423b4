import CRDKafka

extension KafkaRecordHeaders {
    /// A consumed message's headers, in librdkafka's fetch buffer: valid while the message is.
    init(message: UnsafePointer<rd_kafka_message_t>) {
        var start: UnsafeRawPointer?
        var size = 0
        if rd_kafka_message_headers_raw(message, &start, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let start {
            self.init(bytes: UnsafeRawBufferPointer(start: start, count: size))
        } else {
            self.init(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}
