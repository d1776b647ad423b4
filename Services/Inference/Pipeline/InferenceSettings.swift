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
/// | `INFERENCE_BLAS_THREADS` | 1: batches are small, and OpenBLAS threads spin between calls, taking cores from Kafka |
struct InferenceSettings: Sendable {
    var cacheTTLSeconds: Int
    var modelMemoryBytes: Int
    var maxBatch: Int
    var maxRequestBytes: Int
    var backend: String
    var blasThreads: Int

    init(environment: [String: String]) throws(ConfigurationError) {
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw ConfigurationError(variable: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
            return value
        }
        cacheTTLSeconds = try integer("INFERENCE_CACHE_TTL_SECONDS", 300, 0...86_400 * 30)
        modelMemoryBytes = try integer("INFERENCE_MODEL_MEMORY_MB", 512, 1...1_000_000) << 20
        maxBatch = try integer("INFERENCE_MAX_BATCH", 1024, 1...100_000)
        maxRequestBytes = try integer("INFERENCE_MAX_REQUEST_BYTES", 1 << 20, 256...(64 << 20))
        blasThreads = try integer("INFERENCE_BLAS_THREADS", 1, 1...256)
        backend = environment["INFERENCE_BACKEND"].flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "openblas"
        guard ["openblas", "cuda"].contains(backend) else {
            throw ConfigurationError(variable: "INFERENCE_BACKEND", message: "must be openblas or cuda, got \"\(backend)\"")
        }
    }
}
