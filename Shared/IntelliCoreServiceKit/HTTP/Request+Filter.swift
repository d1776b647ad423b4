import Hummingbird

extension Request {
    /// A text filter from the query (`?model=churn`), nil when absent; text PostgreSQL cannot
    /// hold (a NUL character) is a 400 `invalid_parameter` rather than a failed query.
    public func filter(_ name: String) throws(APIError) -> String? {
        guard let value = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard !value.utf8.contains(0) else { throw APIError.badRequest("\(name) must not contain a NUL character", code: "invalid_parameter") }
        return value
    }
}
