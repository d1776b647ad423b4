import IntelliCoreModels
import IntelliCoreOIP

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
        func add(_ key: ModelVersionKey, shadow: Bool, for request: Int, body: OIPRequest) {
            let network: FeedForwardNetwork
            switch networks[key] {
            case .success(let loaded)?:
                network = loaded
            case .failure(let error)?:
                if !shadow { requests[request].fail(.modelUnavailable, "version \(key.version) of \(key.model) cannot be loaded: \(error)", version: key.version) }
                return
            case nil:
                if !shadow { requests[request].fail(.modelUnavailable, "version \(key.version) of \(key.model) was not loaded", version: key.version) }
                return
            }
            do {
                let (rows, values) = try InputAssembler.rows(for: body, schema: network.inputSchema)
                jobs.append(PredictionJob(request: request, key: key, shadow: shadow, network: network, rows: rows, values: values))
            } catch {
                if !shadow { requests[request].fail(error.code, error.message, version: key.version) }
            }
        }
        for route in routes {
            guard let body = requests[route.request].body else { continue }
            add(route.primary, shadow: false, for: route.request, body: body)
            if let shadow = route.shadow { add(shadow, shadow: true, for: route.request, body: body) }
        }
        return jobs
    }
}
