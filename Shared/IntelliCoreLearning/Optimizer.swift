/// Gradient steps over the flat parameter vector, with the state a checkpoint keeps.
public struct Optimizer: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8), as scikit-learn's MLP uses it.
        case adam
        /// Stochastic gradient descent with (classical) momentum.
        case sgd
    }

    public let kind: Kind
    public let learningRate: Float
    public let momentum: Float
    /// Steps taken so far (Adam's bias correction depends on it).
    public private(set) var step: Int
    /// Adam's first moment, or SGD's velocity.
    private var first: [Float]
    /// Adam's second moment.
    private var second: [Float]

    public init(kind: Kind, learningRate: Float, momentum: Float, parameterCount: Int) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        step = 0
        first = [Float](repeating: 0, count: parameterCount)
        second = kind == .adam ? [Float](repeating: 0, count: parameterCount) : []
    }

    public mutating func apply(_ gradient: UnsafeBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>) {
        precondition(gradient.count == parameters.count && parameters.count == first.count, "gradient and parameters differ in size")
        step += 1
        let count = parameters.count
        switch kind {
        case .adam:
            let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
            let correction1 = 1 - Float(Double(beta1).power(step)), correction2 = 1 - Float(Double(beta2).power(step))
            let rate = learningRate * correction2.squareRoot() / correction1
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    for index in 0..<count {
                        let g = gradient[index]
                        m[index] = beta1 * m[index] + (1 - beta1) * g
                        v[index] = beta2 * v[index] + (1 - beta2) * g * g
                        parameters[index] -= rate * m[index] / (v[index].squareRoot() + epsilon)
                    }
                }
            }
        case .sgd:
            first.withUnsafeMutableBufferPointer { velocity in
                for index in 0..<count {
                    velocity[index] = momentum * velocity[index] - learningRate * gradient[index]
                    parameters[index] += velocity[index]
                }
            }
        }
    }
}

extension Double {
    fileprivate func power(_ exponent: Int) -> Double {
        var result = 1.0, base = self, remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result *= base }
            base *= base
            remaining >>= 1
        }
        return result
    }
}
