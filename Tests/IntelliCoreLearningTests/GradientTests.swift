@testable import IntelliCoreLearning
import IntelliCoreModels
import IntelliCoreNumerics
import Testing

/// The backward pass against central finite differences of the loss, for every output kind,
/// both hidden activations and the L2 term.
@Suite struct GradientTests {
    static let cases: [(String, NetworkShape)] = [
        ("softmax, tanh hidden", NetworkShape(inputs: 3, hidden: [5, 4], hiddenActivation: .tanh, output: .multiclass(classes: 3))),
        ("sigmoid, relu hidden", NetworkShape(inputs: 4, hidden: [6], hiddenActivation: .relu, output: .binary)),
        ("regression, tanh hidden", NetworkShape(inputs: 2, hidden: [3], hiddenActivation: .tanh, output: .regression)),
        ("linear softmax", NetworkShape(inputs: 3, output: .multiclass(classes: 4))),
    ]

    @Test(arguments: cases.indices)
    func analyticalGradientMatchesFiniteDifferences(_ index: Int) throws {
        let (name, shape) = Self.cases[index]
        let rows = 7
        var generator = SeededGenerator(seed: 7 + UInt64(index))
        let input = (0..<rows * shape.inputs).map { _ in Float.random(in: -2...2, using: &generator) }
        var targets = [Float](repeating: 0, count: rows * shape.output.width)
        for row in 0..<rows {
            switch shape.output {
            case .regression: targets[row] = Float.random(in: -1...1, using: &generator)
            case .binary: targets[row] = Float(row % 2)
            case .multiclass(let classes): targets[row * classes + row % classes] = 1
            }
        }
        var parameters = shape.initialParameters(seed: 3)
        let network = DenseNetwork(shape: shape, backend: OpenBLASBackend())
        let l2: Float = 0.05
        var gradient = [Float](repeating: 0, count: parameters.count)
        func loss(_ parameters: [Float]) throws -> Double {
            var scratch = [Float](repeating: 0, count: parameters.count)
            return try input.withUnsafeBufferPointer { input in
                try targets.withUnsafeBufferPointer { targets in
                    try parameters.withUnsafeBufferPointer { parameters in
                        try scratch.withUnsafeMutableBufferPointer {
                            try network.lossAndGradient(input, targets: targets, rows: rows, parameters: parameters, l2: l2, gradient: $0)
                        }
                    }
                }
            }
        }
        _ = try input.withUnsafeBufferPointer { input in
            try targets.withUnsafeBufferPointer { targets in
                try parameters.withUnsafeBufferPointer { parameters in
                    try gradient.withUnsafeMutableBufferPointer {
                        try network.lossAndGradient(input, targets: targets, rows: rows, parameters: parameters, l2: l2, gradient: $0)
                    }
                }
            }
        }
        let step: Float = 1e-2
        var worst = 0.0
        for position in parameters.indices {
            let original = parameters[position]
            parameters[position] = original + step
            let above = try loss(parameters)
            parameters[position] = original - step
            let below = try loss(parameters)
            parameters[position] = original
            let numerical = (above - below) / Double(2 * step)
            let difference = abs(numerical - Double(gradient[position]))
            worst = max(worst, difference / max(1e-2, abs(numerical)))
            #expect(difference <= 2e-3 + 2e-2 * abs(numerical), "\(name): parameter \(position) analytical \(gradient[position]) numerical \(numerical)")
        }
        print("GradientTests \(name): \(parameters.count) parameters, worst relative difference \(worst)")
    }
}
