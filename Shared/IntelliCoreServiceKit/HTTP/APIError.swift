import Foundation
import Hummingbird

/// An HTTP error with a JSON body `{"error": {"code", "message", "details"?}}`.
///
/// Codes are stable strings clients branch on; `message` is for people. A 429 carries
/// `Retry-After`; a 500 carries the request id and nothing internal.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let details: [String: String]?
    /// Seconds until a retry may succeed (`Retry-After`), for 429 and 503.
    public let retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String: String]? = nil,
                retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static func badRequest(_ message: String, code: String = "bad_request", details: [String: String]? = nil) -> APIError {
        APIError(.badRequest, code: code, message: message, details: details)
    }

    public static func unauthorized(_ message: String, code: String = "unauthorized") -> APIError {
        APIError(.unauthorized, code: code, message: message)
    }

    public static func forbidden(_ message: String, code: String = "forbidden") -> APIError {
        APIError(.forbidden, code: code, message: message)
    }

    public static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(.notFound, code: code, message: message)
    }

    public static func conflict(_ message: String, code: String = "conflict", details: [String: String]? = nil) -> APIError {
        APIError(.conflict, code: code, message: message, details: details)
    }

    public static func payloadTooLarge(_ message: String) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: message)
    }

    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported_media_type", message: message)
    }

    /// The request is well-formed but breaks a rule of the domain (a schema, a state).
    public static func unprocessable(_ message: String, code: String = "unprocessable", details: [String: String]? = nil) -> APIError {
        APIError(.unprocessableContent, code: code, message: message, details: details)
    }

    public static func tooManyRequests(_ message: String, retryAfterSeconds: Int) -> APIError {
        APIError(.tooManyRequests, code: "rate_limited", message: message, retryAfterSeconds: max(1, retryAfterSeconds))
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
            let details: [String: String]?
        }
        let error: Detail
    }

    /// The JSON body this error answers with (a command that keeps its answer stores it).
    public var body: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(Body(error: .init(code: code, message: message, details: details)))) ?? Data())
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(status, Body(error: .init(code: code, message: message, details: details)))
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        return response
    }
}

/// Turns every error a route throws into the JSON error shape: Hummingbird's own HTTP errors
/// keep their status, decoding errors become 400, anything else a 500 that names the request id
/// and nothing internal (the error itself goes to the log).
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as DecodingError {
            throw APIError.badRequest("request body is not valid for this endpoint: \(Self.describe(error))", code: "invalid_body")
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError(.internalServerError, code: "internal", message: "internal error; quote request id \(context.id) when reporting it",
                           details: ["request_id": context.id])
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "unprocessable"
        case 429: "rate_limited"
        default: "http_\(status.code)"
        }
    }

    /// Where a body failed to decode, without echoing its values.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "the body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue) is missing".replacingOccurrences(of: "the body.", with: "")
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context)) is not valid JSON"
        @unknown default: return "the body does not match"
        }
    }
}
