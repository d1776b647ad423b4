/// Exponential backoff with full jitter, for reconnecting to Kafka, PostgreSQL and Redis.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public private(set) var attempt = 0

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; each call doubles the ceiling up to `maximum`.
    public mutating func next() -> Duration {
        let factor = 1 << min(attempt, 20)
        attempt += 1
        let ceiling = min(initial * factor, maximum)
        let ceilingNanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: (ceilingNanos / 2)...max(ceilingNanos / 2, ceilingNanos)))
    }

    public mutating func reset() { attempt = 0 }
}
