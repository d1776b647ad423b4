import Foundation

/// The rolling windows of one model version: one slot per second for the last five minutes (the
/// 1 min and 5 min windows) and one per minute for the last hour. A value goes into its second's
/// and its minute's slot; a window is the merge of the slots it covers, so reading it never
/// walks events.
struct ModelWindows: Sendable {
    static let secondSlots = 300
    static let minuteSlots = 60

    private var seconds = [MetricSlot](repeating: MetricSlot(), count: secondSlots)
    private var minutes = [MetricSlot](repeating: MetricSlot(), count: minuteSlots)
    /// The output tensor's width seen last (1: a regressor).
    var outputWidth = 0

    /// Applies `change` to the slots of `time`; false when the time is older than the hour kept.
    @discardableResult
    mutating func record(at time: Double, now: Double, _ change: (inout MetricSlot) -> Void) -> Bool {
        let clamped = Swift.min(time, now)
        guard clamped > now - Double(Self.minuteSlots * 60) else { return false }
        let second = Int64(clamped.rounded(.down)), minute = second / 60
        if clamped > now - Double(Self.secondSlots) {
            let index = Int(second % Int64(Self.secondSlots))
            if seconds[index].period != second { seconds[index].reset(to: second) }
            change(&seconds[index])
        }
        let index = Int(minute % Int64(Self.minuteSlots))
        if minutes[index].period != minute { minutes[index].reset(to: minute) }
        change(&minutes[index])
        return true
    }

    /// The merged slots of the last `seconds` before `now`: second slots up to five minutes,
    /// minute slots (whole minutes) beyond.
    func window(seconds length: Int, now: Double) -> MetricSlot {
        var merged = MetricSlot()
        let second = Int64(now.rounded(.down))
        if length <= Self.secondSlots {
            let oldest = second - Int64(length) + 1
            for slot in seconds where slot.period >= oldest && slot.period <= second { merged.merge(slot) }
        } else {
            let minute = second / 60, oldest = minute - Int64(min(Self.minuteSlots, (length + 59) / 60)) + 1
            for slot in minutes where slot.period >= oldest && slot.period <= minute { merged.merge(slot) }
        }
        return merged
    }

    /// Whether anything was recorded in the last hour.
    func isIdle(now: Double) -> Bool {
        let minute = Int64(now.rounded(.down)) / 60
        return !minutes.contains { $0.period > minute - Int64(Self.minuteSlots) }
    }
}
