/// A job that cannot succeed, with the reason a person reads in `ModelTrainingFailed`.
struct JobFailure: Error, Sendable, CustomStringConvertible {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }

    var description: String { reason }
}
