import IntelliCoreModels
import Synchronization

/// Loaded networks, least recently used evicted first once their parameters exceed a memory budget.
final class LoadedModelCache: Sendable {
    typealias Key = ModelVersionKey

    private struct State {
        var entries: [Key: (network: FeedForwardNetwork, lastUse: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    let budgetBytes: Int

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    func get(_ key: Key) -> FeedForwardNetwork? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            state.clock += 1
            state.entries[key] = (entry.network, state.clock)
            return entry.network
        }
    }

    func insert(_ network: FeedForwardNetwork, for key: Key) {
        state.withLock { state in
            state.clock += 1
            if let old = state.entries[key] { state.bytes -= old.network.memoryBytes }
            state.entries[key] = (network, state.clock)
            state.bytes += network.memoryBytes
            while state.bytes > budgetBytes, state.entries.count > 1,
                  let victim = state.entries.filter({ $0.key != key }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[victim.key] = nil
                state.bytes -= victim.value.network.memoryBytes
            }
        }
    }

    var residentBytes: Int { state.withLock { $0.bytes } }
}
