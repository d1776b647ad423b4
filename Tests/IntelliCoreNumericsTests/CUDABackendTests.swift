import IntelliCoreNumerics
import Testing

@Suite struct CUDABackendTests {
    /// Without CUDA: a clear `backendUnavailable` naming the setting. With a GPU: the same
    /// products as OpenBLAS within single-precision tolerance.
    @Test func matchesOpenBLASOrExplainsWhyItIsUnavailable() throws {
        let cuda: CUDABackend
        do {
            cuda = try CUDABackend()
        } catch {
            #expect(error.code == .backendUnavailable)
            #expect(error.message.contains("INFERENCE_BACKEND=cuda"))
            // Said out loud: on a machine without a GPU this test checks only the refusal.
            print("CUDABackendTests: no CUDA device here (\(error.message)); the comparison with OpenBLAS did NOT run")
            return
        }
        let blas = OpenBLASBackend()
        for (m, k, n) in [(1, 32, 64), (256, 64, 64), (1024, 64, 2)] {
            let a = try Matrix(rows: m, columns: k, values: (0..<m * k).map { _ in Float.random(in: -1...1) })
            let b = try Matrix(rows: n, columns: k, values: (0..<n * k).map { _ in Float.random(in: -1...1) })
            let expected = try blas.multiply(a, b, transposeB: true), actual = try cuda.multiply(a, b, transposeB: true)
            for (x, y) in zip(actual.values, expected.values) { #expect(abs(x - y) <= 1e-3) }
        }
    }
}
