import COpenBLAS

/// Least squares with an intercept and an optional ridge penalty, solved exactly: the normal
/// equations (XᵀX + αI)w = Xᵀy accumulated in double precision over chunks of rows (`dsyrk`),
/// then a Cholesky factorisation. The intercept is not penalised. Plain least squares gets a
/// vanishing ridge (1e-9 of the mean diagonal) so collinear columns (one-hot blocks beside the
/// intercept) still have a solution.
public enum LinearSolver {
    /// Weights (`width` values) and intercept for `rows × width` features and one target per row.
    public static func fit(features: [Float], targets: [Float], rows: Int, width: Int, ridge: Double) throws(TrainingFailure) -> (weights: [Float], intercept: Float) {
        precondition(features.count == rows * width && targets.count == rows, "features and targets do not match")
        let dimension = width + 1 // the last column is the intercept's constant 1
        var gram = [Double](repeating: 0, count: dimension * dimension)
        var moment = [Double](repeating: 0, count: dimension)
        let chunk = 4096
        var block = [Double](repeating: 0, count: chunk * dimension)
        var first = 0
        while first < rows {
            let count = min(chunk, rows - first)
            for row in 0..<count {
                for column in 0..<width { block[row * dimension + column] = Double(features[(first + row) * width + column]) }
                block[row * dimension + width] = 1
                let target = Double(targets[first + row])
                for column in 0..<dimension { moment[column] += block[row * dimension + column] * target }
            }
            block.withUnsafeBufferPointer { block in
                gram.withUnsafeMutableBufferPointer { gram in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(dimension), blasint(count), 1,
                                block.baseAddress, blasint(dimension), 1, gram.baseAddress, blasint(dimension))
                }
            }
            first += count
        }
        // dsyrk filled the upper triangle; mirror it.
        for row in 0..<dimension { for column in 0..<row { gram[row * dimension + column] = gram[column * dimension + row] } }
        let meanDiagonal = (0..<width).reduce(0.0) { $0 + gram[$1 * dimension + $1] } / Double(max(width, 1))
        let penalty = ridge > 0 ? ridge : 1e-9 * max(meanDiagonal, 1)
        for column in 0..<width { gram[column * dimension + column] += penalty }
        let solution = try solve(gram, moment, dimension: dimension)
        guard solution.allSatisfy(\.isFinite) else { throw TrainingFailure(.singular, "the least-squares solution is not finite") }
        return (solution.prefix(width).map { Float($0) }, Float(solution[width]))
    }

    /// Solves A x = b for a symmetric positive definite A by Cholesky (A = L Lᵀ).
    static func solve(_ matrix: [Double], _ right: [Double], dimension n: Int) throws(TrainingFailure) -> [Double] {
        var lower = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= lower[i * n + k] * lower[j * n + k] }
                if i == j {
                    guard sum > 0 else {
                        throw TrainingFailure(.singular, "the features are linearly dependent (a constant or duplicated column); use ridge or drop the column")
                    }
                    lower[i * n + i] = sum.squareRoot()
                } else {
                    lower[i * n + j] = sum / lower[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = right[i]
            for k in 0..<i { sum -= lower[i * n + k] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= lower[k * n + i] * x[k] }
            x[i] = sum / lower[i * n + i]
        }
        return x
    }
}
