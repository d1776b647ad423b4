import IntelliCoreModels
import IntelliCoreOIP

/// One request's input rows for one version (a shadowed request makes two jobs), and the
/// output once looked up or computed. Inputs and outputs are ranges of the batch's buffers.
struct PredictionJob {
    /// The request's position in the batch.
    let request: Int
    let key: ModelVersionKey
    let shadow: Bool
    let network: FeedForwardNetwork
    let rows: Int
    /// Row-major, `rows × network.rawInputWidth`, in the batch's input buffer.
    let values: Range<Int>
    /// The input's digest in the result cache; zero while the cache is off.
    var cacheField = ResultCacheLayout.Field()
    /// `rows × network.outputWidth` in the batch's output buffer, once looked up or computed.
    var output: Range<Int>?

    /// Stage 4: the jobs of every routed request whose networks loaded and whose inputs fit them.
    /// A primary that cannot load or whose inputs are refused fails the request; a shadow that
    /// cannot is left out, since callers never wait on shadow answers. Inputs of any form other
    /// than the decoded matrix are assembled and appended to `inputs`.
    static func assemble(_ routes: [RequestRouting.Route], requests: inout [PredictionRequest], inputs: inout [Float],
                         networks: [ModelVersionKey: Result<FeedForwardNetwork, any Error>]) -> [PredictionJob] {
        var jobs: [PredictionJob] = []
        jobs.reserveCapacity(routes.count)
        func add(_ key: ModelVersionKey, shadow: Bool, for request: Int, input: RequestInput) {
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
            do throws(InputAssembler.Rejection) {
                let (rows, values) = try rows(of: input, schema: network.inputSchema, inputs: &inputs)
                jobs.append(PredictionJob(request: request, key: key, shadow: shadow, network: network, rows: rows, values: values))
            } catch {
                if !shadow { requests[request].fail(error.code, error.message, version: key.version) }
            }
        }
        for route in routes {
            guard let input = requests[route.request].input else { continue }
            add(route.primary, shadow: false, for: route.request, input: input)
            if let shadow = route.shadow { add(shadow, shadow: true, for: route.request, input: input) }
        }
        return jobs
    }

    /// The rows of one request for one schema: the decoded matrix where it is the schema's
    /// `[n, d]` tensor (checked in place), otherwise the general assembler's rows, appended.
    private static func rows(of input: RequestInput, schema: InputSchema, inputs: inout [Float]) throws(InputAssembler.Rejection) -> (Int, Range<Int>) {
        switch input {
        case .matrix(let name, let datatype, let rows, let columns, let values) where InputAssembler.isMatrix(name: name, schema: schema):
            try inputs.withUnsafeBufferPointer { buffer throws(InputAssembler.Rejection) in
                try InputAssembler.checkMatrix(name: name, datatype: datatype, shape: (rows, columns), shapeText: "[\(rows), \(columns)]",
                                               values: UnsafeBufferPointer(rebasing: buffer[values]), schema: schema)
            }
            return (rows, values)
        case .matrix(let name, let datatype, let rows, let columns, let values):
            // A single input named after a feature: the per-feature form, through the general assembler.
            let request = OIPRequest(id: "", modelName: "", modelVersion: nil, alias: nil, inputs: [
                OIPRequest.Tensor(name: name, shape: [rows, columns], datatype: datatype, numbers: Array(inputs[values]))])
            return try append(InputAssembler.rows(for: request, schema: schema), to: &inputs)
        case .body(let body):
            return try append(InputAssembler.rows(for: body, schema: schema), to: &inputs)
        }
    }

    private static func append(_ assembled: (Int, [Float]), to inputs: inout [Float]) -> (Int, Range<Int>) {
        let start = inputs.count
        inputs.append(contentsOf: assembled.1)
        return (assembled.0, start..<inputs.count)
    }
}

extension PredictionJob {
    /// `indices` grouped by their job's version, in first-seen order. A batch holds a handful of
    /// versions, usually in runs, so a job's key is compared with its predecessor's and hashed
    /// only where the version changes (hashing three strings per job showed in the profile).
    static func groups(_ jobs: [PredictionJob], _ indices: some Sequence<Int>) -> [(key: ModelVersionKey, members: [Int])] {
        var groups: [(key: ModelVersionKey, members: [Int])] = []
        var positions: [ModelVersionKey: Int] = [:]
        var current = -1
        for index in indices {
            let key = jobs[index].key
            if current < 0 || groups[current].key != key {
                if let known = positions[key] {
                    current = known
                } else {
                    current = groups.count
                    positions[key] = current
                    // The first version gets room for every job: one version per batch is the
                    // common case, and growing its list a job at a time reallocated it ten times
                    // per batch. Later ones grow (room for all in each would be versions × jobs).
                    var members: [Int] = []
                    if groups.isEmpty { members.reserveCapacity(jobs.count) }
                    groups.append((key: key, members: members))
                }
            }
            groups[current].members.append(index)
        }
        return groups
    }
}
