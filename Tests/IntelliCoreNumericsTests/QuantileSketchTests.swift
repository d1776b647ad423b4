import Foundation
import IntelliCoreNumerics
import Testing

@Suite struct QuantileSketchTests {
    @Test func quantilesAreWithinTheRelativeAccuracy() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = []
        var sketch = QuantileSketch(relativeAccuracy: 0.01)
        for _ in 0..<20_000 {
            // Log-normal and negative values, and exact zeros.
            let value = exp(Double.random(in: -5...8, using: &generator)) * (Bool.random(using: &generator) ? 1 : -1)
            let chosen = Int.random(in: 0..<50, using: &generator) == 0 ? 0 : value
            values.append(chosen)
            sketch.add(chosen)
        }
        values.sort()
        for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0] {
            let exact = values[Int(q * Double(values.count - 1))]
            let estimate = try #require(sketch.quantile(q))
            #expect(abs(estimate - exact) <= 0.01 * abs(exact) + 1e-9, "q=\(q): \(estimate) vs \(exact)")
        }
    }

    @Test func mergingEqualsSeeingEverything() {
        var left = QuantileSketch(), right = QuantileSketch(), both = QuantileSketch()
        for value in 1...1000 {
            let x = Double(value)
            if value % 2 == 0 { left.add(x) } else { right.add(x) }
            both.add(x)
        }
        left.merge(right)
        #expect(left == both)
        #expect(QuantileSketch().quantile(0.5) == nil)
    }
}
