import IntelliCoreModels

/// One request's input rows for one version (a shadowed request makes two jobs), and the
/// output once looked up or computed.
struct PredictionJob {
    /// The request's position in the batch.
    let request: Int
    let key: ModelVersionKey
    let shadow: Bool
    let network: FeedForwardNetwork
    let rows: Int
    /// Row-major, `rows × network.rawInputWidth`.
    let values: [Float]
    /// The input's digest in the result cache; empty while the cache is off.
    var cacheField = ""
    var output: [Float]?

    /// Stage 4: the jobs of every routed request whose networks loaded and whose inputs fit them.
    /// A primary that cannot load or whose inputs are refused fails the request; a shadow that
    /// cannot is left out, since callers never wait on shadow answers.
    static func assemble(_ routes: [RequestRouting.Route], requests: inout [PredictionRequest],
                         networks: [ModelVersionKey: Result<FeedForwardNetwork, any Error>]) -> [PredictionJob] {
        var jobs: [PredictionJob] = []
        jobs.reserveCapacity(routes.count)
        for route in routes {
            guard let body = requests[route.request].body else { continue }
            for (key, shadow) in [(route.primary, false)] + (route.shadow.map { [($0, true)] } ?? []) {
                let network: FeedForwardNetwork
                switch networks[key] {
                case .success(let loaded)?:
                    network = loaded
                case .failure(let error)?:
                    if !shadow {
                        requests[route.request].fail(.modelUnavailable, "version \(key.version) of \(key.model) cannot be loaded: \(error)",
                                                     version: key.version)
                    }
                    continue
                case nil:
                    if !shadow { requests[route.request].fail(.modelUnavailable, "version \(key.version) of \(key.model) was not loaded", version: key.version) }
                    continue
                }
                do {
                    let (rows, values) = try InputAssembler.rows(for: body, network: network)
                    jobs.append(PredictionJob(request: route.request, key: key, shadow: shadow, network: network, rows: rows, values: values))
                } catch {
                    if !shadow { requests[route.request].fail(error.code, error.message, version: key.version) }
                }
            }
        }
        return jobs
    }
}
