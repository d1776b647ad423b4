import Foundation
import Synchronization

/// The upload attempts running in this process.
final class RunningUploads: Sendable {
    private let held = Mutex<Set<UUID>>([])

    func insert(_ attempt: UUID) { _ = held.withLock { $0.insert(attempt) } }

    func remove(_ attempt: UUID) { _ = held.withLock { $0.remove(attempt) } }

    func contains(_ attempt: UUID) -> Bool { held.withLock { $0.contains(attempt) } }

    var attempts: [UUID] { held.withLock { Array($0) } }
}
