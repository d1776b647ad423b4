/// The latest answers' predictions by request id, so that ground truth arriving later
/// (`PredictionFeedbackReceived`) can be scored against them. Bounded: the oldest answer is
/// forgotten when `capacity` are held, and feedback for it counts as unmatched.
///
/// Held compactly — the request id's hash, the version as an index into the versions met, the
/// class and the value: 16 bytes an answer, nothing reference-counted, so remembering a million
/// answers neither retains strings nor rehashes entries that hold them.
struct FeedbackJoin: Sendable {
    struct Answer: Sendable {
        let version: MonitoredVersion
        /// The first row's predicted class (classifiers) or value (regressors).
        let predictedClass: Int?
        let predictedValue: Double?
    }

    private struct Entry: Sendable {
        let version: UInt32
        /// -1: none.
        let predictedClass: Int32
        /// NaN: none.
        let predictedValue: Double
    }

    let capacity: Int
    private var answers: [UInt64: Entry] = [:]
    private var order: [UInt64]
    private var next = 0
    private var versions: [MonitoredVersion] = []
    private var versionIndexes: [MonitoredVersion: UInt32] = [:]
    /// The version of the previous answer: answers come in runs of one version.
    private var last: (version: MonitoredVersion, index: UInt32)?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        order = Array(repeating: 0, count: self.capacity)
        // Storage for every answer up front (pages are touched as they fill): no rehash on the way.
        answers.reserveCapacity(min(self.capacity, 1 << 22))
    }

    mutating func remember(_ requestId: UInt64, _ answer: Answer) {
        let entry = Entry(version: index(of: answer.version), predictedClass: answer.predictedClass.map { Int32(clamping: $0) } ?? -1,
                          predictedValue: answer.predictedValue ?? .nan)
        if answers.count >= capacity, answers[requestId] == nil { answers[order[next]] = nil }
        if answers.updateValue(entry, forKey: requestId) == nil {
            order[next] = requestId
            next = (next + 1) % capacity
        }
    }

    func answer(for requestId: UInt64) -> Answer? {
        guard let entry = answers[requestId] else { return nil }
        return Answer(version: versions[Int(entry.version)], predictedClass: entry.predictedClass < 0 ? nil : Int(entry.predictedClass),
                      predictedValue: entry.predictedValue.isNaN ? nil : entry.predictedValue)
    }

    private mutating func index(of version: MonitoredVersion) -> UInt32 {
        if let last, last.version == version { return last.index }
        let index: UInt32
        if let known = versionIndexes[version] {
            index = known
        } else {
            index = UInt32(versions.count)
            versions.append(version)
            versionIndexes[version] = index
        }
        last = (version, index)
        return index
    }
}
