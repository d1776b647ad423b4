import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP

/// Turns one consumed batch of `PredictionRequested` records into answer records, in stages:
/// decode → route → load → assemble → look up the cache → compute → encode.
///
/// Every request gets exactly one answer (`PredictionCompleted` or `PredictionFailed`), plus a
/// shadow answer where the deployment has a shadow version, in the order of the requests. Records
/// that are not events at all are returned for the dead-letter topic.
final class PredictionProcessor: Sendable {
    struct Output: Sendable {
        var answers = KafkaProducerBatch()
        var deadLetters: [(message: KafkaConsumerMessage, reason: String)] = []
        var skipped = 0
    }

    let registry: ModelRegistry
    let decoder: RequestDecoder
    let loader: ModelLoader
    let cache: CachedResults
    let compute: BatchCompute
    let encoder: AnswerEncoder
    let metrics: InferenceMetrics

    init(registry: ModelRegistry, decoder: RequestDecoder, loader: ModelLoader, cache: CachedResults, compute: BatchCompute,
         encoder: AnswerEncoder, metrics: InferenceMetrics) {
        self.registry = registry
        self.decoder = decoder
        self.loader = loader
        self.cache = cache
        self.compute = compute
        self.encoder = encoder
        self.metrics = metrics
    }

    /// Processes the records at `positions`, in that order.
    func process<Records: ConsumedRecords>(_ records: Records, positions: some Collection<Int>) async -> Output {
        let batchStart = Date().timeIntervalSince1970
        var batch = decoder.decode(records, positions: positions, batchStart: batchStart)
        let routes = RequestRouting.route(&batch.requests, bytes: batch.bytes, in: registry.snapshot)
        let networks = await loader.networks(for: RequestRouting.versions(of: routes))
        var jobs = PredictionJob.assemble(routes, requests: &batch.requests, inputs: &batch.inputs, networks: networks)
        var outputs: [Float] = []
        outputs.reserveCapacity(jobs.reduce(0) { $0 + $1.rows * $1.network.outputWidth })
        let bucket = cache.bucket(at: batchStart)
        await cache.lookUp(&jobs, inputs: batch.inputs, outputs: &outputs, bucket: bucket)
        let computed = await compute.run(&jobs, requests: &batch.requests, inputs: batch.inputs, outputs: &outputs)
        cache.store(jobs, outputs: outputs, computed: computed.computed, bucket: bucket)
        let answers = encoder.answers(batch.requests, bytes: batch.bytes, jobs: jobs, outputs: outputs,
                                      timings: AnswerEncoder.Timings(batchStart: batchStart, computeSeconds: computed.seconds))
        return Output(answers: answers, deadLetters: batch.deadLetters, skipped: batch.skipped)
    }

    static func reason(_ error: any Error) -> String {
        if case OIPRequestDecoder.Failure.malformed(let text) = error { return text }
        if let error = error as? EventError { return error.message }
        return "\(error)"
    }
}
