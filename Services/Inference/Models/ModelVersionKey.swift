/// One version of one model: the unit of loading, batching and result caching.
struct ModelVersionKey: Hashable, Sendable {
    let model: String
    let version: Int
}
