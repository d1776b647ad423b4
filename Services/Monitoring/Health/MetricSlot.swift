import Foundation

/// What one second (or one minute) of a model version's traffic added up to.
struct MetricSlot: Sendable {
    /// The second or minute since the epoch it holds; a slot of an older period is stale.
    var period: Int64 = .min
    var answers = 0
    var shadowAnswers = 0
    var failures: [String: Int] = [:]
    var latency = LatencySketch()
    var predictions = PredictionDistribution()
    var feedback = FeedbackTally()

    mutating func reset(to period: Int64) {
        self = MetricSlot()
        self.period = period
    }

    mutating func merge(_ other: MetricSlot) {
        answers += other.answers
        shadowAnswers += other.shadowAnswers
        for (code, count) in other.failures { failures[code, default: 0] += count }
        latency.merge(other.latency)
        predictions.merge(other.predictions)
        feedback.merge(other.feedback)
    }
}

/// The answers' predictions: the predicted class's counts for classifiers (argmax of each row),
/// moments of the value for regressors (one output column).
struct PredictionDistribution: Sendable, Equatable {
    var classCounts: [Int] = []
    var values = 0
    var sum = 0.0
    var sumOfSquares = 0.0
    var minimum = Double.infinity
    var maximum = -Double.infinity

    mutating func addClass(_ index: Int) {
        if classCounts.count <= index { classCounts += [Int](repeating: 0, count: index + 1 - classCounts.count) }
        classCounts[index] += 1
    }

    mutating func addValue(_ value: Double) {
        values += 1
        sum += value
        sumOfSquares += value * value
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
    }

    mutating func merge(_ other: PredictionDistribution) {
        for (index, count) in other.classCounts.enumerated() where count > 0 {
            if classCounts.count <= index { classCounts += [Int](repeating: 0, count: index + 1 - classCounts.count) }
            classCounts[index] += count
        }
        values += other.values
        sum += other.sum
        sumOfSquares += other.sumOfSquares
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }
}

/// Ground truth joined to answers: how many, how many right (classifiers), the absolute error (regressors).
struct FeedbackTally: Sendable, Equatable {
    var count = 0
    var correct = 0
    var absoluteError = 0.0
    var regression = 0

    mutating func merge(_ other: FeedbackTally) {
        count += other.count
        correct += other.correct
        absoluteError += other.absoluteError
        regression += other.regression
    }
}
