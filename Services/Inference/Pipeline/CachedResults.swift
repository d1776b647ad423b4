import IntelliCoreConcurrency
import IntelliCoreModels
import IntelliCoreRedis

/// Stage 5: answers already computed for the same input, read and written in hashes laid out by
/// `ResultCacheLayout` — one pipelined round trip reads a whole batch.
struct CachedResults: Sendable {
    let cache: any ResultCache
    let ttlSeconds: Int
    let metrics: InferenceMetrics
    private let pendingWrites = AtomicCounter()

    /// Up to this many batches' writes run behind the answers; beyond that (Redis slow or down) a
    /// batch's write is skipped and counted in `intellicore_inference_cache_writes_skipped_total`.
    static let maxPendingWrites = 8

    init(cache: any ResultCache, ttlSeconds: Int, metrics: InferenceMetrics) {
        self.cache = cache
        self.ttlSeconds = ttlSeconds
        self.metrics = metrics
    }

    var enabled: Bool { ttlSeconds > 0 }

    func bucket(at now: Double) -> Int { ResultCacheLayout.bucket(now: now, ttlSeconds: ttlSeconds) }

    /// Fills `output` of every job whose answer is cached in the current or the previous bucket,
    /// appending the cached numbers to `outputs`.
    func lookUp(_ jobs: inout [PredictionJob], inputs: [Float], outputs: inout [Float], bucket: Int) async {
        guard enabled, !jobs.isEmpty else { return }
        inputs.withUnsafeBufferPointer { inputs in
            for index in jobs.indices {
                jobs[index].cacheField = ResultCacheLayout.field(for: UnsafeBufferPointer(rebasing: inputs[jobs[index].values]))
            }
        }
        let groups = PredictionJob.groups(jobs, jobs.indices)
        let lookups = groups.flatMap { group, members in
            var fields = RedisArguments()
            fields.reserveCapacity(arguments: members.count, bytes: ResultCacheLayout.Field.byteCount * members.count)
            for member in members { jobs[member].cacheField.append(to: &fields) }
            return [bucket, bucket - 1].map { (key: ResultCacheLayout.key(group, bucket: $0), fields: fields) }
        }
        let answers = await cache.hashGet(lookups)
        guard answers.count == lookups.count else { return }
        for (position, (_, members)) in groups.enumerated() {
            let current = 2 * position, previous = 2 * position + 1
            guard answers.fieldCount(request: current) == members.count, answers.fieldCount(request: previous) == members.count else { continue }
            for (offset, member) in members.enumerated() {
                // A cached value of the wrong size (another network under the same version) is a miss.
                let expected = jobs[member].rows * jobs[member].network.outputWidth * MemoryLayout<Float>.size
                let start = outputs.count
                let found = answers.withValue(request: current, field: offset) { now in
                    answers.withValue(request: previous, field: offset) { before in
                        guard expected > 0, let hit = now?.count == expected ? now : before?.count == expected ? before : nil else { return false }
                        // Copied bytewise: a value's place in the replies' buffer has no alignment.
                        outputs.append(contentsOf: repeatElement(0, count: expected / MemoryLayout<Float>.size))
                        outputs.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: start * MemoryLayout<Float>.size).copyMemory(from: hit.baseAddress!, byteCount: expected) }
                        return true
                    }
                }
                if found { jobs[member].output = start..<outputs.count }
            }
        }
    }

    /// Writes the outputs of `computed` jobs behind the answers (never awaited by the batch).
    func store(_ jobs: [PredictionJob], outputs: [Float], computed: [Int], bucket: Int) {
        guard enabled, !computed.isEmpty else { return }
        let writes = PredictionJob.groups(jobs, computed).map { key, members in
            var entries = RedisArguments()
            entries.reserveCapacity(arguments: 2 * members.count, bytes: members.reduce(0) { bytes, index in
                bytes + ResultCacheLayout.Field.byteCount + (jobs[index].output?.count ?? 0) * MemoryLayout<Float>.size
            })
            for index in members {
                guard let output = jobs[index].output else { continue }
                jobs[index].cacheField.append(to: &entries)
                outputs[output].withUnsafeBytes { entries.append($0) }
            }
            return (key: ResultCacheLayout.key(key, bucket: bucket), entries: entries)
        }
        let ttl = Duration.seconds(ResultCacheLayout.bucketSeconds(ttlSeconds: ttlSeconds) * 2)
        guard pendingWrites.increment() <= Self.maxPendingWrites else {
            pendingWrites.decrement()
            metrics.cacheWritesSkipped.increment()
            return
        }
        Task { [cache, pendingWrites] in
            await cache.hashSet(writes, ttl: ttl)
            pendingWrites.decrement()
        }
    }
}
