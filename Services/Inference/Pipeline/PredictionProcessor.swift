import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreOIP

/// Turns one consumed batch of `PredictionRequested` records into result records, in stages:
/// decode → route → load → assemble → look up the cache → compute → encode.
///
/// Every request gets exactly one answer (`PredictionCompleted` or `PredictionFailed`), plus a
/// shadow answer where the deployment has a shadow version, in the order of the requests. Records
/// that are not events at all are returned for the dead-letter topic.
final class PredictionProcessor: Sendable {
    struct Output: Sendable {
        var results: [KafkaProducerMessage] = []
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

    /// Processes the records of `messages` at `positions`, in that order.
    func process(_ messages: [KafkaConsumerMessage], positions: some Collection<Int>) async -> Output {
        let batchStart = Date().timeIntervalSince1970
        var batch = decoder.decode(messages, positions: positions, batchStart: batchStart)
        let routes = RequestRouting.route(&batch.requests, in: registry.snapshot)
        let networks = await loader.networks(for: RequestRouting.versions(of: routes))
        var jobs = PredictionJob.assemble(routes, requests: &batch.requests, networks: networks)
        let bucket = cache.bucket(at: batchStart)
        await cache.lookUp(&jobs, bucket: bucket)
        let computed = await compute.run(&jobs, requests: &batch.requests)
        cache.store(jobs, computed: computed.computed, bucket: bucket)
        let results = encoder.answers(batch.requests, jobs: jobs,
                                      timings: AnswerEncoder.Timings(batchStart: batchStart, computeSeconds: computed.seconds))
        return Output(results: results, deadLetters: batch.deadLetters, skipped: batch.skipped)
    }

    static func reason(_ error: any Error) -> String {
        if case OIPRequestDecoder.Failure.malformed(let text) = error { return text }
        if let error = error as? EventError { return error.message }
        return "\(error)"
    }
}
