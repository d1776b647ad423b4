import IntelliCoreModels

/// Stage 3: the networks a batch needs, from memory or read from the `ArtifactStore` once each,
/// after the whole batch is decoded and routed (never an awaited read in the middle of decoding).
struct ModelLoader: Sendable {
    let models: LoadedModelCache
    let store: any ArtifactStore

    /// Every version in `keys`, loaded or with the reason it cannot be.
    func networks(for keys: some Sequence<ModelVersionKey>) async -> [ModelVersionKey: Result<FeedForwardNetwork, any Error>] {
        var loaded: [ModelVersionKey: Result<FeedForwardNetwork, any Error>] = [:]
        for key in keys where loaded[key] == nil {
            do {
                loaded[key] = .success(try await network(key))
            } catch {
                loaded[key] = .failure(error)
            }
        }
        return loaded
    }

    func network(_ key: ModelVersionKey) async throws -> FeedForwardNetwork {
        if let network = models.get(key) { return network }
        guard let json = try await store.artifact(key) else {
            throw ModelError(.corruptArtifact, "no artifact stored")
        }
        let network = try FeedForwardNetwork(try ArtifactCodec.decode(json: json))
        models.insert(network, for: key)
        return network
    }
}
