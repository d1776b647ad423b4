/// Remembers the `ce_id`s seen in the last `horizon` seconds — as 64-bit FNV-1a hashes in one
/// set per second, the oldest set dropped as time moves on — so that an event re-sent with the
/// same id (an answer redone after a crash, a redelivery) is counted once. Memory is bounded by
/// the rate times the horizon (16 bytes an event: 120 s at 100,000 events/s is about 200 MB at
/// worst; the default horizon is shorter). Two ids with the same hash (chance about 10⁻⁷ at
/// that volume) would count as one.
struct DuplicateFilter: Sendable {
    let horizon: Int
    private var seconds: [(second: Int64, ids: Set<UInt64>)]

    init(horizon: Int) {
        self.horizon = max(1, horizon)
        seconds = Array(repeating: (Int64.min, []), count: self.horizon)
    }

    /// True the first time `id` is seen within the horizon (and remembers it at `second`).
    mutating func firstSight(_ id: UInt64, second: Int64) -> Bool {
        for entry in seconds where entry.second > second - Int64(horizon) && entry.ids.contains(id) { return false }
        let index = Int(((second % Int64(horizon)) + Int64(horizon)) % Int64(horizon))
        if seconds[index].second != second { seconds[index] = (second, []) }
        seconds[index].ids.insert(id)
        return true
    }

    static func hash<Bytes: Collection>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
