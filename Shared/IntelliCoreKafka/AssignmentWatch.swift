/// Notices a group consumer that has owned no partition for longer than `patience`.
///
/// That is normal for a member of a group with more members than partitions, and a fault when
/// the group's rebalance never completes (the local broker can leave a group waiting for a
/// leader that has left; docs/operations.md). Either way an operator should hear of it, once per
/// such period, and hear when it ends. The consumer calls `observe` after each poll.
public struct AssignmentWatch: Sendable {
    public enum Report: Sendable, Equatable {
        case quiet
        /// The consumer has owned nothing for this long (reported once per period).
        case unassigned(Duration)
        /// It owns partitions again after a period that was reported, this long.
        case assigned(after: Duration)
    }

    public let patience: Duration
    private var unassignedSince: ContinuousClock.Instant?
    private var reported = false

    public init(patience: Duration) {
        self.patience = patience
    }

    public mutating func observe(assigned: Bool, at now: ContinuousClock.Instant) -> Report {
        if assigned {
            defer { unassignedSince = nil; reported = false }
            if reported, let since = unassignedSince { return .assigned(after: since.duration(to: now)) }
            return .quiet
        }
        guard let since = unassignedSince else {
            unassignedSince = now
            return .quiet
        }
        guard !reported, since.duration(to: now) >= patience else { return .quiet }
        reported = true
        return .unassigned(since.duration(to: now))
    }
}
