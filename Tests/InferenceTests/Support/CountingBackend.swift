import IntelliCoreNumerics
import Synchronization

/// OpenBLAS with a count of sgemm calls, or a backend whose every call fails.
final class CountingBackend: NumericsBackend {
    let name = "counting"
    private let inner = OpenBLASBackend()
    private let calls = Mutex(0)
    let failing: Bool

    init(failing: Bool = false) {
        self.failing = failing
    }

    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
               b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws(NumericsError) {
        calls.withLock { $0 += 1 }
        if failing { throw NumericsError(.deviceFailure, "the test backend refuses every call") }
        try inner.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    var callCount: Int { calls.withLock { $0 } }
}
