@testable import Inference
import Synchronization

/// Artifacts by version, counting reads so a test can see when a model was loaded.
final class InMemoryArtifactStore: ArtifactStore {
    private let artifacts: [ModelVersionKey: [UInt8]]
    private let reads = Mutex<[ModelVersionKey: Int]>([:])

    init(_ artifacts: [ModelVersionKey: [UInt8]]) {
        self.artifacts = artifacts
    }

    func artifact(_ key: ModelVersionKey) async throws -> [UInt8]? {
        reads.withLock { $0[key, default: 0] += 1 }
        return artifacts[key]
    }

    func readCount(_ key: ModelVersionKey) -> Int { reads.withLock { $0[key] ?? 0 } }
}
