import CRDKafka
import Logging

/// The producer side of librdkafka on one handle: creation with the delivery-report callback,
/// serving reports, producing one record, the local queue's length.
extension RDKafkaClient {
    static func producer(properties: [String: String], logger: Logger) throws -> RDKafkaClient {
        try RDKafkaClient(kind: .producer, properties: properties, logger: logger) {
            rd_kafka_conf_set_dr_msg_cb($0, deliveryReportCallback)
        }
    }

    /// Serves delivery reports for up to `timeoutMilliseconds`. Blocking.
    func serveEvents(timeoutMilliseconds: Int32) {
        rd_kafka_poll(pointer, timeoutMilliseconds)
    }

    /// Records produced and not yet acknowledged.
    var outstandingCount: Int { Int(rd_kafka_outq_len(pointer)) }

    enum ProduceOutcome {
        case queued
        /// librdkafka's local queue is full: try again once reports have drained it.
        case queueFull
        /// Refused at once; the record's delivery is marked failed in `tracker`.
        case refused
    }

    /// Hands `message` to librdkafka; its delivery report resolves entry `index` of `tracker`.
    func produce(_ message: KafkaProducerMessage, call: inout ProduceCall, tracker: DeliveryTracker, index: Int) -> ProduceOutcome {
        outcome(call.produce(message, on: pointer, opaque: tracker.opaque(for: index)), tracker: tracker, index: index)
    }

    /// Hands record `record` of `batch` (whose arena starts at `base`) to librdkafka; its delivery
    /// report resolves entry `index` of `tracker`.
    func produce(_ batch: KafkaProducerBatch, record: Int, base: UnsafeRawPointer, call: inout ProduceCall, tracker: DeliveryTracker,
                 index: Int) -> ProduceOutcome {
        outcome(call.produce(batch, record: record, base: base, on: pointer, opaque: tracker.opaque(for: index)), tracker: tracker, index: index)
    }

    private func outcome(_ error: rd_kafka_resp_err_t, tracker: DeliveryTracker, index: Int) -> ProduceOutcome {
        if error == RD_KAFKA_RESP_ERR_NO_ERROR { return .queued }
        if error == RD_KAFKA_RESP_ERR__QUEUE_FULL { return .queueFull }
        tracker.fail(index, error: error)
        return .refused
    }
}
