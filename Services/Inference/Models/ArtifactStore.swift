/// Where a model version's artifact (its `FeedForwardArtifact` JSON) is read from when the
/// version is not loaded: the service's own tables in production, a dictionary in tests.
protocol ArtifactStore: Sendable {
    /// The artifact JSON of `key`, or nil when none is stored.
    func artifact(_ key: ModelVersionKey) async throws -> [UInt8]?
}

extension PostgresModelStore: ArtifactStore {}
