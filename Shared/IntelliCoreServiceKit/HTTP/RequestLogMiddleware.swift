import HTTPTypes
import Hummingbird
import Logging

/// Gives every response an `X-Request-Id` (the caller's, when it sent a sane one) and writes one
/// access-log line per request: method, route, status, duration, request id.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIdHeader: HTTPField.Name { .requestId }

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestId = request.headers[Self.requestIdHeader].flatMap(Self.acceptable) ?? context.id
        var context = context
        context.logger[metadataKey: "http.request.id"] = "\(requestId)"
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIdHeader] = requestId
            log(request, context: context, status: response.status.code, since: started)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context: context, status: error.status.code, since: started)
            throw RequestIdentifiedError(inner: error, requestId: requestId)
        }
    }

    /// Up to 128 visible ASCII characters: anything else is replaced by the server's own id.
    static func acceptable(_ value: String) -> String? {
        value.count <= 128 && !value.isEmpty && value.utf8.allSatisfy { (33...126).contains($0) } ? value : nil
    }

    private func log(_ request: Request, context: Context, status: Int, since started: ContinuousClock.Instant) {
        let milliseconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1000
        context.logger.log(level: status >= 500 ? .error : .info, "request", metadata: [
            "http.method": "\(request.method)", "http.route": "\(context.endpointPath ?? request.uri.path)",
            "http.status": "\(status)", "http.duration_ms": "\(milliseconds)",
        ])
    }
}

/// An error response that also carries the request id header.
struct RequestIdentifiedError: HTTPResponseError {
    let inner: any HTTPResponseError
    let requestId: String

    var status: HTTPResponse.Status { inner.status }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try inner.response(from: request, context: context)
        response.headers[.requestId] = requestId
        return response
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: the caller's request id, or the server's own.
    static let requestId = HTTPField.Name("X-Request-Id")!
}
