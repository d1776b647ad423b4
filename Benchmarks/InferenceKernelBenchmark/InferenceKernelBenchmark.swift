import BenchmarkSupport
import Foundation
import IntelliCoreModels
import IntelliCoreNumerics

/// Batched forward pass of a 32-64-64-2 MLP on OpenBLAS at batch sizes 1 … 1024: predictions/s
/// and achieved GFLOP/s, beside this machine's square-sgemm figure. Usage:
///   inference-kernel-benchmark [--seconds 0.5]
@main
struct InferenceKernelBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 0.5
        let backend = OpenBLASBackend()
        report("OpenBLAS threads: \(OpenBLASBackend.threadCount)")
        for n in [256, 1024] {
            report(String(format: "machine sgemm %4d×%4d×%4d: %7.1f GFLOP/s", n, n, n, try squareSgemm(n, backend: backend, seconds: seconds)))
        }
        var generator = SeededGenerator(seed: 42)
        let network = try FeedForwardNetwork(.randomMLP(widths: [32, 64, 64, 2], using: &generator))
        report("MLP 32-64-64-2, \(network.flopsPerRow) FLOP per prediction")
        report("batch   predictions/s   GFLOP/s   µs/batch")
        var batch = 1
        while batch <= 1024 {
            let input = (0..<batch * 32).map { _ in Float.random(in: -1...1, using: &generator) }
            var runs = 0
            let clock = ContinuousClock()
            let start = clock.now
            var checksum: Float = 0
            while clock.now - start < .seconds(seconds) {
                for _ in 0..<16 {
                    checksum += try input.withUnsafeBufferPointer { try network.predict($0, rows: batch, backend: backend) }[0]
                }
                runs += 16
            }
            let elapsed = (clock.now - start) / .seconds(1)
            let predictions = Double(runs * batch) / elapsed
            report(String(format: "%5d   %13.0f   %7.2f   %8.2f", batch, predictions,
                          predictions * Double(network.flopsPerRow) / 1e9, elapsed / Double(runs) * 1e6)
                   + (checksum.isNaN ? " (NaN!)" : ""))
            batch *= 2
        }
    }

    static func squareSgemm(_ n: Int, backend: OpenBLASBackend, seconds: Double) throws -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var runs = 0
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < .seconds(seconds) {
            try a.withUnsafeBufferPointer { pa in
                try b.withUnsafeBufferPointer { pb in
                    try c.withUnsafeMutableBufferPointer { pc in
                        try backend.sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!, lda: n,
                                          b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            runs += 1
        }
        return Double(runs) * 2 * Double(n * n * n) / ((clock.now - start) / .seconds(1)) / 1e9
    }
}
