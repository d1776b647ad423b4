/// A failure the CLI reports with what to do next, and an exit status that says which kind:
///
/// | status | meaning |
/// |---|---|
/// | 0 | done |
/// | 1 | the platform refused the request (a 4xx answer: bad input, no such thing, not allowed) |
/// | 3 | the platform could not be reached or failed (connection refused, a 5xx answer, a timeout) |
/// | 4 | the work ran and failed (a training job failed, a demo check did not hold) |
/// | 64 | the command line itself is wrong (from the argument parser) |
struct CLIError: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case refused = 1
        case unavailable = 3
        case failed = 4
    }

    let kind: Kind
    let message: String
    let hint: String?

    init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    var description: String { message + (hint.map { "\n  → " + $0 } ?? "") }
}
