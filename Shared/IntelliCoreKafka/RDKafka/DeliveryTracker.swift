import CRDKafka
import Synchronization

/// What the delivery callback writes for one record.
struct DeliverySlot {
    /// Unretained pointer to the owning `DeliveryTracker`.
    var tracker: UnsafeMutableRawPointer
    var error: Int32 = 0
    var partition: Int32 = -1
    var offset: Int64 = -1
}

/// Collects delivery reports for a batch of records and wakes the sender when all arrived.
///
/// Each record's librdkafka opaque points at its slot, so the callback allocates nothing.
/// `@unchecked Sendable`: slots are written only by the producer's poll thread, each exactly once,
/// and read by the sender only after `remaining` reached zero under the mutex.
final class DeliveryTracker: @unchecked Sendable {
    let slots: UnsafeMutablePointer<DeliverySlot>
    let count: Int
    private let state: Mutex<(remaining: Int, waiter: CheckedContinuation<Void, Never>?)>

    init(count: Int) {
        self.count = count
        self.slots = .allocate(capacity: max(count, 1))
        self.state = Mutex((count, nil))
        let me = Unmanaged.passUnretained(self).toOpaque()
        slots.initialize(repeating: DeliverySlot(tracker: me), count: max(count, 1))
    }

    deinit {
        slots.deallocate()
    }

    func opaque(for index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(slots + index) }

    /// Records a failure that happened before the record reached librdkafka.
    func fail(_ index: Int, error: rd_kafka_resp_err_t) {
        slots[index].error = error.rawValue
        completeOne()
    }

    /// Keeps the tracker alive until its last report, whether or not anyone awaits it: librdkafka
    /// holds unretained pointers into `slots`. Call once, before the first record is produced,
    /// and only when `count > 0`.
    func retainUntilComplete() {
        _ = Unmanaged.passRetained(self)
    }

    func completeOne() {
        let (finished, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            state.remaining -= 1
            guard state.remaining == 0 else { return (false, nil) }
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        // The last use of `self` here: this may free the tracker.
        if finished { Unmanaged.passUnretained(self).release() }
    }

    /// Returns once every record has a delivery report.
    func waitForAll() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.remaining == 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The outcome of record `index`, once `waitForAll` returned.
    func result(_ index: Int, topic: String) -> Result<KafkaDeliveryReport, KafkaError> {
        let slot = slots[index]
        let error = rd_kafka_resp_err_t(rawValue: slot.error)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(KafkaError(.delivery, error, context: "delivery to \(topic) failed"))
        }
        return .success(KafkaDeliveryReport(topic: topic, partition: slot.partition, offset: slot.offset))
    }
}

/// Installed as `dr_msg_cb`; runs on the producer's poll thread.
let deliveryReportCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let slot = opaque.assumingMemoryBound(to: DeliverySlot.self)
    slot.pointee.error = message.pointee.err.rawValue
    slot.pointee.partition = message.pointee.partition
    slot.pointee.offset = message.pointee.offset
    Unmanaged<DeliveryTracker>.fromOpaque(slot.pointee.tracker).takeUnretainedValue().completeOne()
}
