/// The latest answers' predictions by request id, so that ground truth arriving later
/// (`PredictionFeedbackReceived`) can be scored against them. Bounded: the oldest answer is
/// forgotten when `capacity` are held, and feedback for it counts as unmatched.
struct FeedbackJoin: Sendable {
    struct Answer: Sendable {
        let version: MonitoredVersion
        /// The first row's predicted class (classifiers) or value (regressors).
        let predictedClass: Int?
        let predictedValue: Double?
    }

    let capacity: Int
    private var answers: [UInt64: Answer] = [:]
    private var order: [UInt64]
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        order = Array(repeating: 0, count: self.capacity)
        answers.reserveCapacity(min(self.capacity, 1 << 16))
    }

    mutating func remember(_ requestId: UInt64, _ answer: Answer) {
        if answers.count >= capacity, answers[requestId] == nil { answers[order[next]] = nil }
        if answers.updateValue(answer, forKey: requestId) == nil {
            order[next] = requestId
            next = (next + 1) % capacity
        }
    }

    func answer(for requestId: UInt64) -> Answer? { answers[requestId] }
}
