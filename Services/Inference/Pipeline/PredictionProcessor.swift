import Foundation
import IntelliCoreConcurrency
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCoreNumerics
import IntelliCoreRedis
import Logging
import Metrics

/// Turns one consumed batch of `PredictionRequested` records into result records.
///
/// Every request gets exactly one answer (`PredictionCompleted` or `PredictionFailed`), plus a
/// shadow answer where the deployment has a shadow version. Records that are not events at all
/// are returned for the dead letter topic.
final class PredictionProcessor: Sendable {
    struct Output: Sendable {
        var results: [KafkaProducerMessage] = []
        var deadLetters: [(message: KafkaConsumerMessage, reason: String)] = []
        var skipped = 0
    }

    let registry: ModelRegistry
    let models: LoadedModelCache
    let store: PostgresModelStore
    let cache: RedisCache
    let backend: any NumericsBackend
    let settings: InferenceSettings
    let resultsTopic: String
    let logger: Logger
    let metrics: InferenceMetrics
    private let pendingCacheWrites = AtomicCounter()

    init(registry: ModelRegistry, models: LoadedModelCache, store: PostgresModelStore, cache: RedisCache, backend: any NumericsBackend,
         settings: InferenceSettings, resultsTopic: String, logger: Logger, metrics: InferenceMetrics) {
        self.registry = registry
        self.models = models
        self.store = store
        self.cache = cache
        self.backend = backend
        self.settings = settings
        self.resultsTopic = resultsTopic
        self.logger = logger
        self.metrics = metrics
    }

    /// One request routed to one version (a shadowed request makes two jobs).
    struct Job {
        let request: Int
        /// The tenant's model and the version routed to.
        let key: ModelVersionKey
        let shadow: Bool
        let network: FeedForwardNetwork
        let rows: Int
        let values: [Float]
        var cacheKey: String = ""
        var output: [Float]?

        var version: Int { key.version }
    }

    struct Request {
        /// The request's `ce_id` bytes: the answer's id is built from them.
        let eventId: [UInt8]
        /// The request's `ce_tenantid` header value, passed on to the answer as it came.
        let tenantHeader: [UInt8]?
        var id: String
        var model: String?
        let received: Double
        /// Asked in OIP protobuf (`application/x-protobuf`): completed answers go back the same way.
        let protobuf: Bool
        /// The request record's key (the entity): the answer's key too, so one entity's answers
        /// share a partition and keep their order.
        let key: [UInt8]?

        var tenant: String? { tenantHeader.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Processes the records of `messages` at `positions`, in that order.
    func process(_ messages: [KafkaConsumerMessage], positions: some Collection<Int>) async -> Output {
        var output = Output()
        let batchStart = Date().timeIntervalSince1970
        let snapshot = registry.snapshot
        var requests: [Request] = []
        var jobs: [Job] = []
        var failures: [Failure] = []
        requests.reserveCapacity(positions.count)
        jobs.reserveCapacity(positions.count)
        output.results.reserveCapacity(positions.count)
        // Networks used by this batch, looked up once each rather than once per request.
        var networks: [ModelVersionKey: FeedForwardNetwork] = [:]

        for position in positions {
            let message = messages[position]
            // Header checks read the packed headers in place: no copies for the common case.
            guard let value = message.value, !value.isEmpty,
                  message.hasHeaderValue(named: CloudEventHeader.id), message.hasHeaderValue(named: CloudEventHeader.specVersion),
                  message.hasHeaderValue(named: CloudEventHeader.type) else {
                if let value = message.value, let structured = try? CloudEvent(structuredJSON: value), structured.type == PredictionRequested.eventType {
                    // Structured mode: rare on this path; re-enter as binary.
                    var rewritten = message
                    rewritten.value = structured.data
                    rewritten.headers = structured.kafkaHeaders.map { KafkaHeader(name: $0.name, string: $0.value) }
                    await appendRequest(rewritten, into: &requests, jobs: &jobs, failures: &failures, snapshot: snapshot, networks: &networks, output: &output, batchStart: batchStart)
                    continue
                }
                output.deadLetters.append((message, "not a CloudEvent: ce_specversion, ce_id, ce_type and a value are required"))
                continue
            }
            guard message.header(named: CloudEventHeader.type, equals: PredictionRequested.eventType) else {
                output.skipped += 1
                continue
            }
            await appendRequest(message, into: &requests, jobs: &jobs, failures: &failures, snapshot: snapshot, networks: &networks, output: &output, batchStart: batchStart)
        }

        // One pipelined round trip reads the cache entries of every request here.
        let bucket = ResultCacheLayout.bucket(now: batchStart, ttlSeconds: settings.cacheTTLSeconds)
        if settings.cacheTTLSeconds > 0, !jobs.isEmpty {
            var byHash: [ModelVersionKey: [Int]] = [:]
            for index in jobs.indices {
                jobs[index].cacheKey = ResultCacheLayout.field(for: jobs[index].values)
                byHash[jobs[index].key, default: []].append(index)
            }
            let groups = Array(byHash)
            let lookups = groups.flatMap { group, members in
                [bucket, bucket - 1].map { (key: ResultCacheLayout.key(group, bucket: $0), fields: members.map { jobs[$0].cacheKey }) }
            }
            let answers = await cache.hashGet(lookups)
            for (position, (_, members)) in groups.enumerated() {
                for (offset, member) in members.enumerated() {
                    let expected = jobs[member].rows * jobs[member].network.outputWidth * 4
                    // The current time bucket first, then the previous one.
                    let current = answers[2 * position][offset], previous = answers[2 * position + 1][offset]
                    guard let hit = current?.count == expected ? current : previous?.count == expected ? previous : nil else { continue }
                    jobs[member].output = hit.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                }
            }
        }

        // Group the misses by (model, version) and run each group as one forward pass.
        let computeStart = ContinuousClock.now
        var groups: [ModelVersionKey: [Int]] = [:]
        // By position throughout: a copied job costs a retain and release per array in it.
        for index in jobs.indices where jobs[index].output == nil {
            groups[jobs[index].key, default: []].append(index)
        }
        var fresh: [ModelVersionKey: [(field: String, value: [UInt8])]] = [:]
        for (key, members) in groups {
            let network = jobs[members[0]].network
            let totalRows = members.reduce(0) { $0 + jobs[$1].rows }
            var input: [Float] = []
            input.reserveCapacity(totalRows * network.rawInputWidth)
            for member in members { input.append(contentsOf: jobs[member].values) }
            let started = ContinuousClock.now
            do {
                let result = try input.withUnsafeBufferPointer { try network.predict($0, rows: totalRows, backend: backend) }
                metrics.recordCompute(ContinuousClock.now - started, rows: totalRows)
                var offset = 0
                let width = network.outputWidth
                for member in members {
                    let slice = Array(result[offset..<offset + jobs[member].rows * width])
                    jobs[member].output = slice
                    offset += jobs[member].rows * width
                    if settings.cacheTTLSeconds > 0 {
                        fresh[key, default: []]
                            .append((jobs[member].cacheKey, slice.withUnsafeBytes { Array($0) }))
                    }
                }
            } catch {
                logger.error("forward pass failed", metadata: ["model.name": "\(key.model)", "model.version": "\(key.version)", "error": "\(error)"])
                for member in members {
                    failures.append(Failure(request: jobs[member].request, code: .computeFailed, message: "\(error)", version: jobs[member].version))
                }
            }
        }
        let computeSeconds = (ContinuousClock.now - computeStart) / .seconds(1)
        if !fresh.isEmpty {
            writeToCache(fresh.map { (key: ResultCacheLayout.key($0.key, bucket: bucket), entries: $0.value) },
                         ttl: .seconds(ResultCacheLayout.bucketSeconds(ttlSeconds: settings.cacheTTLSeconds) * 2))
        }

        // Answers, walked by request position so that one entity's answers keep the order of its
        // requests whatever their outcome: a request's answer, then its shadow's.
        let now = Date()
        let shared = SharedHeaders(time: EventCodec.formatTime(now))
        let finished = now.timeIntervalSince1970
        var primary = [KafkaProducerMessage?](repeating: nil, count: requests.count)
        var shadows = [KafkaProducerMessage?](repeating: nil, count: requests.count)
        var served: [InferenceMetrics.ServedKey: Int] = [:]
        for job in jobs {
            guard let values = job.output else { continue }
            let request = requests[job.request]
            let body = values.withUnsafeBufferPointer { values in
                request.protobuf
                    ? OIPProtobuf.encodeResponse(id: request.id, model: job.key.model, version: job.version, outputName: job.network.outputName,
                                                 rows: job.rows, columns: job.network.outputWidth, values: values, shadow: job.shadow)
                    : OIPResultEncoder.completed(id: request.id, model: job.key.model, version: job.version, outputName: job.network.outputName,
                                           rows: job.rows, columns: job.network.outputWidth, values: values, shadow: job.shadow,
                                           queueSeconds: max(0, batchStart - request.received), computeSeconds: computeSeconds,
                                           totalSeconds: max(0, finished - request.received))
            }
            let answer = resultMessage(for: request, completed: true, shadow: job.shadow, protobuf: request.protobuf, shared: shared, body: body)
            if job.shadow { shadows[job.request] = answer } else { primary[job.request] = answer }
            served[InferenceMetrics.ServedKey(version: job.key, shadow: job.shadow), default: 0] += 1
            if !job.shadow { metrics.recordLatency(queue: batchStart - request.received, total: finished - request.received) }
        }
        metrics.recordServed(served)
        for failure in failures {
            let request = requests[failure.request]
            let body = OIPResultEncoder.failed(id: request.id, model: request.model, version: failure.version, code: failure.code.rawValue,
                                               message: failure.message, shadow: false)
            primary[failure.request] = resultMessage(for: request, completed: false, shadow: false, protobuf: false, shared: shared, body: body)
            metrics.recordFailure(code: failure.code)
        }
        for index in requests.indices {
            if let answer = primary[index] { output.results.append(answer) }
            if let answer = shadows[index] { output.results.append(answer) }
        }
        return output
    }

    private func appendRequest(_ message: KafkaConsumerMessage, into requests: inout [Request], jobs: inout [Job],
                               failures: inout [Failure],
                               snapshot: RegistrySnapshot, networks: inout [ModelVersionKey: FeedForwardNetwork],
                               output: inout Output, batchStart: Double) async {
        let eventId = message.header(named: CloudEventHeader.id) ?? []
        let tenantHeader = message.header(named: CloudEventHeader.tenantId)
        let received = message.timestampMilliseconds.map { Double($0) / 1000 } ?? batchStart
        let index = requests.count
        let protobuf = message.header(named: CloudEventHeader.contentType, hasPrefix: OIPProtobuf.contentType)
        requests.append(Request(eventId: eventId, tenantHeader: tenantHeader,
                                id: message.headerString(named: CloudEventHeader.subject) ?? String(decoding: eventId, as: UTF8.self),
                                model: nil, received: received,
                                protobuf: protobuf, key: message.key))
        func fail(_ code: PredictionFailureCode, _ text: String, version: Int? = nil) {
            failures.append(Failure(request: index, code: code, message: text, version: version))
        }
        let value = message.value ?? []
        guard value.count <= settings.maxRequestBytes else {
            return fail(.payloadTooLarge, "request is \(value.count) bytes; the limit is \(settings.maxRequestBytes)")
        }
        let decoded: OIPRequest
        do {
            decoded = protobuf ? try OIPProtobuf.decodeRequest(value) : try OIPRequest.decode(value)
        } catch {
            return fail(.undecodable, "request is not an OIP v2 inference request: \(Self.reason(error))")
        }
        if !decoded.id.isEmpty { requests[index].id = decoded.id }
        requests[index].model = decoded.modelName
        if let tenant = requests[index].tenant, snapshot.exceededTenants.contains(tenant) {
            return fail(.quotaExceeded, "tenant \(tenant) is over its prediction quota")
        }
        let sticky = message.keyString.flatMap { $0 == decoded.modelName ? nil : $0 } ?? decoded.id
        let model = ModelKey(tenant: requests[index].tenant ?? "", model: decoded.modelName)
        switch TrafficRouter.decide(model: model, version: decoded.modelVersion, alias: decoded.alias,
                                    stickyKey: sticky, in: snapshot) {
        case .failure(let code, let text):
            return fail(code, text)
        case .route(let version, let shadow):
            for (target, isShadow) in [(version, false)] + (shadow.map { [($0, true)] } ?? []) {
                let network: FeedForwardNetwork
                do {
                    network = try await load(ModelVersionKey(model, version: target), memo: &networks)
                } catch {
                    if !isShadow { fail(.modelUnavailable, "version \(target) of \(decoded.modelName) cannot be loaded: \(error)", version: target) }
                    continue
                }
                do {
                    let (rows, values) = try InputAssembler.rows(for: decoded, network: network)
                    jobs.append(Job(request: index, key: ModelVersionKey(model, version: target), shadow: isShadow, network: network,
                                    rows: rows, values: values))
                } catch {
                    if !isShadow { fail(error.code, error.message, version: target) }
                }
            }
        }
    }

    /// Cache writes are best effort and need not hold up the answers: up to
    /// `maxPendingCacheWrites` run behind the batches; beyond that (Redis slow or down) a batch's
    /// write is skipped and counted in `intellicore_inference_cache_writes_skipped_total`.
    private func writeToCache(_ writes: [(key: String, entries: [(field: String, value: [UInt8])])], ttl: Duration) {
        guard pendingCacheWrites.increment() <= Self.maxPendingCacheWrites else {
            pendingCacheWrites.decrement()
            metrics.cacheWritesSkipped.increment()
            return
        }
        Task { [cache, pendingCacheWrites] in
            await cache.hashSet(writes, ttl: ttl)
            pendingCacheWrites.decrement()
        }
    }

    static let maxPendingCacheWrites = 8

    /// The network of a version, from memory or from this service's own tables.
    func load(_ key: ModelVersionKey, memo: inout [ModelVersionKey: FeedForwardNetwork]) async throws -> FeedForwardNetwork {
        if let network = memo[key] { return network }
        let network = try await load(key)
        memo[key] = network
        return network
    }

    func load(_ key: ModelVersionKey) async throws -> FeedForwardNetwork {
        if let network = models.get(key) { return network }
        guard let json = try await store.artifact(key) else {
            throw ModelError(.corruptArtifact, "no artifact stored")
        }
        let network = try FeedForwardNetwork(try ArtifactCodec.decode(json: json))
        models.insert(network, for: key)
        return network
    }

    /// A request that gets a `PredictionFailed` answer.
    struct Failure {
        let request: Int
        let code: PredictionFailureCode
        let message: String
        let version: Int?
    }

    static func reason(_ error: any Error) -> String {
        if case OIPRequestDecoder.Failure.malformed(let text) = error { return text }
        if let error = error as? EventError { return error.message }
        return "\(error)"
    }
}
