import Foundation
import Hummingbird
import IntelliCoreEvents

/// A JSON HTTP response with sorted keys, the one way every route and error writes JSON.
public enum JSONResponse {
    public static func make(_ status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension JSONResponse {
    /// A JSON response in the events' spelling (snake_case keys from the Swift names, RFC 3339
    /// times), for answers that carry the same vocabulary as events.
    public static func events(_ status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try EventCodec.encode(value))))
    }
}
