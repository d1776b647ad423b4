/// Dense single-precision linear algebra, row-major, as the inference and training code need it.
///
/// Callers depend on this protocol only, so a GPU backend can replace OpenBLAS without
/// touching them. Buffers are caller-owned; implementations must not retain them.
public protocol NumericsBackend: Sendable {
    /// A short name for logs and metrics: `openblas`, `cuda`.
    var name: String { get }

    /// C = alpha · op(A) · op(B) + beta · C, where op(A) is m×k, op(B) is k×n and C is m×n.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws(NumericsError)
}

extension NumericsBackend {
    /// Checks an sgemm call's dimensions and strides; every backend calls it before computing.
    public func validateSgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) throws(NumericsError) {
        guard m >= 0, n >= 0, k >= 0, lda >= (transposeA ? m : k), ldb >= (transposeB ? k : n), ldc >= n else {
            throw NumericsError(.shapeMismatch, "sgemm m=\(m) n=\(n) k=\(k) with strides lda=\(lda) ldb=\(ldb) ldc=\(ldc)")
        }
    }
}
