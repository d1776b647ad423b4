import Foundation
import Hummingbird

/// Reads a request's JSON body into a `Decodable`, with the kit's errors for every way it can be
/// wrong: 415 for another media type, 413 past `limit` bytes (read no further), 400 for bad
/// UTF-8 or malformed JSON, 422 naming the field that is missing or has the wrong type.
public enum JSONRequestBody {
    /// 1 MiB: commands and admin requests are small; uploads stream instead.
    public static let defaultLimit = 1 << 20

    public static func decode<Value: Decodable>(_ type: Value.Type, from request: Request, context: some RequestContext,
                                                limit: Int = defaultLimit) async throws -> Value {
        try decode(type, from: try await bytes(of: request, limit: limit))
    }

    /// The body's bytes, checked for media type, size and UTF-8 but not yet decoded (a command
    /// fingerprints them for its idempotency key). An empty body is refused unless `allowEmpty`.
    public static func bytes(of request: Request, limit: Int = defaultLimit, allowEmpty: Bool = false) async throws -> Data {
        if let contentType = request.headers[.contentType],
           !contentType.lowercased().hasPrefix("application/json") {
            throw APIError.unsupportedMediaType("the body must be application/json, not \(contentType)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError.payloadTooLarge("the body is larger than \(limit) bytes")
        }
        let bytes = Data(buffer: buffer)
        guard !bytes.isEmpty || allowEmpty else {
            throw APIError.badRequest("the body is empty; a JSON object is required", code: "invalid_json")
        }
        guard String(data: bytes, encoding: .utf8) != nil else {
            throw APIError.badRequest("the body is not valid UTF-8", code: "invalid_json")
        }
        return bytes
    }

    /// Decodes bytes `bytes(of:)` returned, with the same errors as `decode(_:from:context:)`.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: Data) throws -> Value {
        guard !bytes.isEmpty else { throw APIError.badRequest("the body is empty; a JSON object is required", code: "invalid_json") }
        if let closed = Value.self as? any ClosedJSONObject.Type {
            try refuseUnknownFields(bytes, known: closed.fields)
        }
        do {
            // Field names as clients write them: body types spell out their snake_case keys, so an
            // error names the field the client sent.
            return try JSONDecoder().decode(Value.self, from: bytes)
        } catch let error as DecodingError {
            throw Self.apiError(error)
        }
    }

    /// A 422 naming the first top-level field that is not in `known` (a mistyped optional field
    /// would otherwise be ignored without a word).
    static func refuseUnknownFields(_ bytes: Data, known: Set<String>) throws {
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.unprocessable("\(unknown) is not a field of this request; the fields are \(known.sorted().joined(separator: ", "))",
                                         code: "unknown_field", details: ["field": unknown])
        }
    }

    /// A 400 for JSON that does not parse, a 422 naming the field otherwise; never the body itself.
    static func apiError(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "body" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIError.badRequest("the body is not valid JSON", code: "invalid_json")
        case .dataCorrupted(let context):
            return APIError.unprocessable("\(path(context)): \(context.debugDescription)", code: "invalid_field",
                                          details: ["field": path(context)])
        case .keyNotFound(let key, let context):
            return APIError.unprocessable("\(path(context, key)) is required", code: "missing_field", details: ["field": path(context, key)])
        case .typeMismatch(let type, let context):
            return APIError.unprocessable("\(path(context)) must be \(Self.name(of: type))", code: "invalid_field", details: ["field": path(context)])
        case .valueNotFound(let type, let context):
            return APIError.unprocessable("\(path(context)) must be \(Self.name(of: type)), not null", code: "invalid_field",
                                          details: ["field": path(context)])
        @unknown default:
            return APIError.badRequest("the body is not valid JSON", code: "invalid_json")
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}

/// A request body whose top-level fields are all known: any other field is refused with a 422
/// (`unknown_field`) instead of being ignored. Commands use it, where a mistyped optional field
/// would silently change what happens.
public protocol ClosedJSONObject: Decodable {
    static var fields: Set<String> { get }
}

extension ClosedJSONObject where Self: Decodable {
    /// The names of a body type whose `CodingKeys` list every field.
    public static func fieldNames<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) -> Set<String> {
        Set(keys.allCases.map(\.stringValue))
    }
}
