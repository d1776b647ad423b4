import Foundation
import Metrics
import Synchronization

/// The gateway's synchronous predictions waiting for their answers, by correlation id, bounded.
///
/// A caller reserves its slot before it produces the request (the answer may arrive before it
/// starts waiting), then waits until the answer arrives or its deadline passes; either way the
/// slot is gone afterwards, so a late answer finds nobody and is counted.
final class PendingReplies: Sendable {
    /// An answer record's type (`ce_type`) and value, as inference produced them.
    struct Reply: Sendable {
        let type: String
        let body: [UInt8]
    }

    struct Full: Error {}

    private enum Slot {
        case reserved
        case waiting(CheckedContinuation<Reply?, Never>)
        case arrived(Reply)
    }

    let capacity: Int
    private let slots = Mutex<[UUID: Slot]>([:])
    private let inFlight = Gauge(label: "intellicore_gateway_predictions_in_flight")
    private let unmatched = Counter(label: "intellicore_gateway_replies_unmatched_total")

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { slots.withLock { $0.count } }

    /// Takes a slot for `id`; throws `Full` when `capacity` requests already wait.
    func reserve(_ id: UUID) throws(Full) {
        let count: Int? = slots.withLock { slots in
            guard slots.count < capacity else { return nil }
            slots[id] = .reserved
            return slots.count
        }
        guard let count else { throw Full() }
        inFlight.record(count)
    }

    /// Gives a slot up without waiting (the request could not be produced).
    func release(_ id: UUID) {
        let removed = slots.withLock { $0.removeValue(forKey: id) }
        if case .waiting(let continuation) = removed { continuation.resume(returning: nil) }
    }

    /// Hands an answer to its waiting caller; false when nobody waits for it (late, or another
    /// replica's: counted).
    @discardableResult
    func deliver(_ id: UUID, _ reply: Reply) -> Bool {
        let waiter: CheckedContinuation<Reply?, Never>?? = slots.withLock { slots in
            switch slots[id] {
            case .reserved:
                slots[id] = .arrived(reply)
                return .some(nil)
            case .waiting(let continuation):
                slots[id] = nil
                return .some(continuation)
            case .arrived, nil:
                return nil
            }
        }
        guard let waiter else {
            unmatched.increment()
            return false
        }
        waiter?.resume(returning: reply)
        return true
    }

    /// The answer for a reserved `id`, or nil once `deadline` passed or the waiting task was
    /// cancelled (the client went away).
    func wait(_ id: UUID, until deadline: ContinuousClock.Instant) async -> Reply? {
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            self?.release(id)
        }
        defer {
            timer.cancel()
            inFlight.record(count)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Reply?, Never>) in
                let ready: Reply?? = slots.withLock { slots in
                    switch slots[id] {
                    case .reserved:
                        slots[id] = .waiting(continuation)
                        return nil
                    case .arrived(let reply):
                        slots[id] = nil
                        return .some(reply)
                    case .waiting, nil:
                        return .some(nil)
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            release(id)
        }
    }
}
