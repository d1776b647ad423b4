/// Remembers the `ce_id`s seen in the last `horizon` seconds — as 64-bit FNV-1a hashes, each
/// with the second it was seen, in one dictionary, and per second the ids to forget when that
/// second leaves the horizon — so that an event re-sent with the same id (an answer redone after
/// a crash, a redelivery) is counted once. One lookup and one insert per event; memory is bounded
/// by the rate times the horizon (about 40 bytes an event: 30 s at 100,000 events/s is about
/// 120 MB at worst). Two ids with the same hash (chance about 10⁻⁸ at that volume) count as one.
struct DuplicateFilter: Sendable {
    let horizon: Int
    private var seen: [UInt64: Int64] = [:]
    private var seconds: [(second: Int64, ids: [UInt64])]

    init(horizon: Int) {
        self.horizon = max(1, horizon)
        seconds = Array(repeating: (Int64.min, []), count: self.horizon)
    }

    /// True the first time `id` is seen within the horizon (and remembers it at `second`).
    mutating func firstSight(_ id: UInt64, second: Int64) -> Bool {
        if let last = seen[id], last > second - Int64(horizon) { return false }
        let index = Int(((second % Int64(horizon)) + Int64(horizon)) % Int64(horizon))
        if seconds[index].second != second {
            // The slot's second left the horizon: forget its ids (unless seen again since).
            let expired = seconds[index].second
            for old in seconds[index].ids where seen[old] == expired { seen[old] = nil }
            seconds[index].second = second
            seconds[index].ids.removeAll(keepingCapacity: true)
        }
        seen[id] = second
        seconds[index].ids.append(id)
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
