import COpenBLAS

/// `cblas_sgemm` from OpenBLAS (pthreads build, so large products use every core).
public struct OpenBLASBackend: NumericsBackend {
    public let name = "openblas"

    public init() {}

    /// The number of threads OpenBLAS uses for one product.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Limits OpenBLAS's threads, for callers that already run one product per core.
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws(NumericsError) {
        try validateSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
