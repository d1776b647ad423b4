import Foundation
import IntelliCoreEvents
import IntelliCoreModels
import Synchronization

/// The models monitoring knows from `intellicore.models`: each version's input schema, training
/// baseline and output kind, and each alias's traffic policy. Loaded from the monitoring schema
/// at start, updated by the model events consumer after its transactions commit; read on the hot
/// path to attribute a request to the version whose baseline its inputs are compared with.
final class ModelCatalog: Sendable {
    struct Version: Sendable {
        let schema: InputSchema
        let baseline: VersionBaseline
        /// Output columns: 1 for a regressor, the class count otherwise.
        let outputWidth: Int
        let labels: [String]?
    }

    struct Entry: Sendable {
        var versions: [Int: Version] = [:]
        var aliases: [String: TrafficPolicy] = [:]
    }

    private struct Key: Hashable {
        let tenant: String
        let model: String
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let loading = Mutex<Task<Void, any Error>?>(nil)

    /// Runs `load` (filling the catalog from storage) once, however many consumers ask; each
    /// waits for it before reading its first record.
    func loadOnce(_ load: @escaping @Sendable () async throws -> Void) async throws {
        let task = loading.withLock { task in
            if let task { return task }
            let started = Task { try await load() }
            task = started
            return started
        }
        try await task.value
    }

    func register(tenant: String, model: String, version: Int, _ info: Version) {
        entries.withLock { $0[Key(tenant: tenant, model: model), default: Entry()].versions[version] = info }
    }

    func deploy(tenant: String, model: String, alias: String, policy: TrafficPolicy) {
        entries.withLock { $0[Key(tenant: tenant, model: model), default: Entry()].aliases[alias] = policy }
    }

    func entry(tenant: String, model: String) -> Entry? {
        entries.withLock { $0[Key(tenant: tenant, model: model)] }
    }

    /// Whether the tenant has registered or deployed `model`.
    func knows(tenant: String, model: String) -> Bool {
        entries.withLock { $0[Key(tenant: tenant, model: model)] != nil }
    }

    func version(_ version: MonitoredVersion) -> Version? {
        guard let number = Int(version.version) else { return nil }
        return entries.withLock { $0[Key(tenant: version.tenant, model: version.model)]?.versions[number] }
    }

    /// The version a request's inputs are compared with: the one it names, else its alias's
    /// (default `champion`) main route — the version that takes the largest share of traffic.
    func resolve(tenant: String, model: String, version: String?, alias: String?) -> (Int, Version)? {
        entries.withLock { entries in
            guard let entry = entries[Key(tenant: tenant, model: model)] else { return nil }
            let number: Int?
            if let version { number = Int(version) } else {
                number = entry.aliases[alias ?? ModelAlias.champion]?.routes.max { $0.weight < $1.weight }?.version
            }
            guard let number, let info = entry.versions[number] else { return nil }
            return (number, info)
        }
    }

    /// The version's schema, baseline and output from its registration event.
    static func version(from registered: ModelVersionRegistered) throws -> Version {
        let artifact = try ArtifactCodec.decode(json: try ArtifactCodec.unpack(registered.artifact))
        return Version(schema: artifact.inputSchema, baseline: VersionBaseline(schema: artifact.inputSchema, baseline: registered.featureBaseline ?? []),
                       outputWidth: artifact.layers.last?.outputs ?? 1, labels: artifact.labels)
    }
}
