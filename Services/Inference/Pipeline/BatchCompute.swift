import Dispatch
import IntelliCoreModels
import IntelliCoreNumerics
import Logging

/// Stage 6: the jobs the cache did not answer, one forward pass per version over all of its rows.
/// A pass big enough to hold a thread for milliseconds runs on a Dispatch thread instead of
/// Swift's cooperative pool, which the Kafka, Redis and HTTP work of the process shares.
struct BatchCompute: Sendable {
    let backend: any NumericsBackend
    let metrics: InferenceMetrics
    let logger: Logger

    /// Floating-point operations above which a pass leaves the cooperative pool: about 5 ms of one
    /// core at OpenBLAS's small-matrix rate; below it, the hop costs more than it frees.
    static let offPoolFlops = 32 << 20

    struct Outcome {
        /// Positions of the jobs computed here (cache writes take these).
        var computed: [Int] = []
        var seconds: Double = 0
    }

    /// Fills `output` of every job without one, appending the numbers to `outputs`; a failed pass
    /// fails its primary requests with `compute_failed`.
    func run(_ jobs: inout [PredictionJob], requests: inout [PredictionRequest], inputs: [Float], outputs: inout [Float]) async -> Outcome {
        var outcome = Outcome()
        let started = ContinuousClock.now
        // By position throughout: a copied job costs a retain and release per array in it.
        let groups = PredictionJob.groups(jobs, jobs.indices.filter { jobs[$0].output == nil })
        for (key, members) in groups {
            let network = jobs[members[0]].network
            let rows = members.reduce(0) { $0 + jobs[$1].rows }
            // The version's rows gathered into one pass (one buffer per version and batch).
            var gathered: [Float] = []
            gathered.reserveCapacity(rows * network.rawInputWidth)
            for member in members { gathered.append(contentsOf: inputs[jobs[member].values]) }
            let passStarted = ContinuousClock.now
            do {
                let result = try await forward(network, input: gathered, rows: rows)
                metrics.recordCompute(ContinuousClock.now - passStarted, rows: rows)
                let width = network.outputWidth
                var offset = outputs.count
                outputs.append(contentsOf: result)
                for member in members {
                    let count = jobs[member].rows * width
                    jobs[member].output = offset..<offset + count
                    offset += count
                }
                outcome.computed.append(contentsOf: members)
            } catch {
                logger.error("forward pass failed", metadata: ["model.name": "\(key.model)", "model.version": "\(key.version)", "error": "\(error)"])
                for member in members where !jobs[member].shadow {
                    requests[jobs[member].request].fail(.computeFailed, "\(error)", version: key.version)
                }
            }
        }
        outcome.seconds = (ContinuousClock.now - started) / .seconds(1)
        return outcome
    }

    private func forward(_ network: FeedForwardNetwork, input: [Float], rows: Int) async throws -> [Float] {
        guard rows * network.flopsPerRow >= Self.offPoolFlops else {
            return try input.withUnsafeBufferPointer { try network.predict($0, rows: rows, backend: backend) }
        }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { [backend] in
                continuation.resume(with: Result { try input.withUnsafeBufferPointer { try network.predict($0, rows: rows, backend: backend) } })
            }
        }
    }
}
