import Foundation

extension Activation {
    /// Adds the bias to each of `rows` rows of `width` values and applies the activation in
    /// place (softmax per row, shifted by the row's largest value). Inference's forward pass and
    /// training's run this one function, so a trained network answers as it trained.
    public func apply(to values: UnsafeMutableBufferPointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let base = row * width
            switch self {
            case .identity:
                for j in 0..<width { values[base + j] += bias[j] }
            case .relu:
                for j in 0..<width { values[base + j] = max(0, values[base + j] + bias[j]) }
            case .tanh:
                for j in 0..<width { values[base + j] = Foundation.tanh(values[base + j] + bias[j]) }
            case .sigmoid:
                for j in 0..<width { values[base + j] = 1 / (1 + exp(-(values[base + j] + bias[j]))) }
            case .softmax:
                var largest = -Float.infinity
                for j in 0..<width {
                    values[base + j] += bias[j]
                    largest = max(largest, values[base + j])
                }
                var sum: Float = 0
                for j in 0..<width {
                    let e = exp(values[base + j] - largest)
                    values[base + j] = e
                    sum += e
                }
                for j in 0..<width { values[base + j] /= sum }
            }
        }
    }
}
