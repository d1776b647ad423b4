extension Duration {
    /// The whole duration in milliseconds, sub-millisecond remainder dropped; for C APIs that
    /// take milliseconds (librdkafka timeouts, Redis `PX`).
    public var totalMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The whole duration in microseconds (hiredis `timeval`).
    public var totalMicroseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
