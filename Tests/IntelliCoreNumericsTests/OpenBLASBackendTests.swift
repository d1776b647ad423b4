import IntelliCoreNumerics
import Testing

@Suite struct OpenBLASBackendTests {
    let backend = OpenBLASBackend()

    func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns { for p in 0..<a.columns { c[i, j] += a[i, p] * b[p, j] } } }
        return c
    }

    func random(_ rows: Int, _ columns: Int) throws -> Matrix {
        try Matrix(rows: rows, columns: columns, values: (0..<rows * columns).map { _ in Float.random(in: -1...1) })
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (64, 32, 64), (257, 33, 65)])
    func matchesNaiveProduct(m: Int, k: Int, n: Int) throws {
        let a = try random(m, k), b = try random(k, n)
        let fast = try backend.multiply(a, b), slow = naive(a, b)
        for (x, y) in zip(fast.values, slow.values) { #expect(abs(x - y) <= 1e-4 * Float(k)) }
    }

    func transpose(_ m: Matrix) -> Matrix {
        var t = Matrix(rows: m.columns, columns: m.rows)
        for i in 0..<m.rows { for j in 0..<m.columns { t[j, i] = m[i, j] } }
        return t
    }

    @Test func transposedOperands() throws {
        let a = try random(4, 6), b = try random(5, 4)
        let product = try backend.multiply(a, b, transposeA: true, transposeB: true)  // (6×4)·(4×5)
        #expect(product.rows == 6 && product.columns == 5)
        let expected = naive(transpose(a), transpose(b))
        for (x, y) in zip(product.values, expected.values) { #expect(abs(x - y) < 1e-4) }
    }

    @Test func shapeMismatchIsAnError() throws {
        let error = #expect(throws: NumericsError.self) { try backend.multiply(try random(2, 3), try random(4, 2)) }
        #expect(error?.code == .shapeMismatch)
        #expect(throws: NumericsError.self) { try Matrix(rows: 2, columns: 2, values: [1, 2, 3]) }
    }
}
