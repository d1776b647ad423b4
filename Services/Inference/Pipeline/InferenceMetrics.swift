import IntelliCoreEvents
import Metrics
import Synchronization

/// The inference service's Prometheus metrics (seconds for every duration).
final class InferenceMetrics: Sendable {
    private let queue = Metrics.Timer(label: "intellicore_inference_queue_seconds", preferredDisplayUnit: .seconds)
    private let compute = Metrics.Timer(label: "intellicore_inference_compute_seconds", preferredDisplayUnit: .seconds)
    private let endToEnd = Metrics.Timer(label: "intellicore_inference_end_to_end_seconds", preferredDisplayUnit: .seconds)
    private let batchSize = Recorder(label: "intellicore_inference_batch_size", aggregate: true)
    private let rows = Counter(label: "intellicore_inference_rows_computed_total")
    /// Where the consumer loop waits: for records, and for the oldest batch's delivery reports.
    let pollWait = Metrics.Timer(label: "intellicore_inference_poll_wait_seconds", preferredDisplayUnit: .seconds)
    let deliveryWait = Metrics.Timer(label: "intellicore_inference_delivery_wait_seconds", preferredDisplayUnit: .seconds)
    /// Result-cache writes dropped because too many were already pending (Redis slow or down).
    let cacheWritesSkipped = Counter(label: "intellicore_inference_cache_writes_skipped_total")
    /// Requests whose reply headers named another topic or no valid partition or correlation.
    let repliesRefused = Counter(label: "intellicore_inference_replies_refused_total")
    /// Turning one consumed batch into answers (decode, route, cache, compute, encode).
    let processing = Metrics.Timer(label: "intellicore_inference_batch_processing_seconds", preferredDisplayUnit: .seconds)
    /// Counters per (model, version, shadow), made once: creating one is a registry lookup.
    struct ServedKey: Hashable {
        let version: ModelVersionKey
        let shadow: Bool
    }
    private let served = Mutex<[ServedKey: Counter]>([:])

    func recordCompute(_ duration: Duration, rows count: Int) {
        compute.recordNanoseconds(Int64(duration / .nanoseconds(1)))
        rows.increment(by: count)
    }

    /// Counts a batch's answers per (model, version, shadow), one increment per key.
    func recordServed(_ counts: [ServedKey: Int]) {
        for (key, count) in counts {
            let counter = served.withLock { counters in
                if let counter = counters[key] { return counter }
                let counter = Counter(label: "intellicore_predictions_total",
                                      dimensions: [("tenant", key.version.tenant), ("model", key.version.model),
                                                   ("version", String(key.version.version)),
                                                   ("shadow", key.shadow ? "true" : "false")])
                counters[key] = counter
                return counter
            }
            counter.increment(by: count)
        }
    }

    /// Queue and end-to-end latency of one served (not shadow) answer.
    func recordLatency(queue queueSeconds: Double, total: Double) {
        queue.recordNanoseconds(Int64(max(0, queueSeconds) * 1e9))
        endToEnd.recordNanoseconds(Int64(max(0, total) * 1e9))
    }

    func recordFailure(code: PredictionFailureCode) {
        Counter(label: "intellicore_prediction_failures_total", dimensions: [("code", code.rawValue)]).increment()
    }

    func recordBatch(size: Int) {
        batchSize.record(size)
    }
}
