/// A row-major matrix of `Float` in one contiguous buffer.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) throws(NumericsError) {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw NumericsError(.shapeMismatch, "\(values.count) values cannot fill a \(rows)×\(columns) matrix")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.rows = rows
        self.columns = columns
        self.values = Array(repeating: value, count: rows * columns)
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }
}

extension NumericsBackend {
    /// `self · other` (optionally transposed), as a new matrix.
    public func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) throws(NumericsError) -> Matrix {
        let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows, n = transposeB ? b.rows : b.columns
        guard k == kb else {
            throw NumericsError(.shapeMismatch, "cannot multiply \(m)×\(k) by \(kb)×\(n)")
        }
        var result = Matrix(rows: m, columns: n)
        let outcome: Result<Void, NumericsError> = a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                result.values.withUnsafeMutableBufferPointer { pc in
                    Result { () throws(NumericsError) in
                        try sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                                  a: pa.baseAddress!, lda: a.columns, b: pb.baseAddress!, ldb: b.columns,
                                  beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        try outcome.get()
        return result
    }
}
