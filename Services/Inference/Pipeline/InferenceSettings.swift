import Foundation
import IntelliCoreServiceKit

/// Inference-specific settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `INFERENCE_CACHE_TTL_SECONDS` | 300 (0 turns the result cache off) |
/// | `INFERENCE_MODEL_MEMORY_MB` | 512, budget for loaded model parameters |
/// | `INFERENCE_MAX_BATCH` | 1024 requests per consumed batch |
/// | `INFERENCE_MAX_REQUEST_BYTES` | 1048576 |
/// | `INFERENCE_BACKEND` | `openblas` (or `cuda`) |
/// | `INFERENCE_WORKERS` | the number of CPUs: a large batch is split by record key over this many concurrent shards |
/// | `INFERENCE_BLAS_THREADS` | 1: batches are small, and OpenBLAS threads spin between calls, taking cores from Kafka |
struct InferenceSettings: ServiceSettings {
    var cacheTTLSeconds: Int
    var modelMemoryBytes: Int
    var maxBatch: Int
    var maxRequestBytes: Int
    var backend: String
    var blasThreads: Int
    var workers: Int

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        cacheTTLSeconds = try reader.integer("INFERENCE_CACHE_TTL_SECONDS", default: 300, range: 0...86_400 * 30)
        modelMemoryBytes = try reader.integer("INFERENCE_MODEL_MEMORY_MB", default: 512, range: 1...1_000_000) << 20
        maxBatch = try reader.integer("INFERENCE_MAX_BATCH", default: 1024, range: 1...100_000)
        maxRequestBytes = try reader.integer("INFERENCE_MAX_REQUEST_BYTES", default: 1 << 20, range: 256...(64 << 20))
        blasThreads = try reader.integer("INFERENCE_BLAS_THREADS", default: 1, range: 1...256)
        workers = try reader.integer("INFERENCE_WORKERS", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256)
        backend = reader.string("INFERENCE_BACKEND", default: "openblas").lowercased()
        guard ["openblas", "cuda"].contains(backend) else {
            throw ConfigurationError(variable: "INFERENCE_BACKEND", message: "must be openblas or cuda, got \"\(backend)\"")
        }
    }
}
