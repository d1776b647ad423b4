import Foundation
import IntelliCoreServiceKit

/// The media types an upload may have, told by its `Content-Type`.
enum UploadFormat: String, Sendable, Codable {
    /// `text/csv`: a header row naming the columns, then one record per row (RFC 4180).
    case csv
    /// `application/json`: one array of objects.
    case json
    /// `application/x-ndjson` (or `application/jsonl`): one object per line.
    case ndjson

    static let mediaTypes: [(String, UploadFormat)] = [
        ("text/csv", .csv), ("application/csv", .csv),
        ("application/json", .json),
        ("application/x-ndjson", .ndjson), ("application/ndjson", .ndjson), ("application/jsonl", .ndjson), ("application/x-jsonlines", .ndjson),
    ]

    /// The format of a `Content-Type` value (parameters such as `charset=utf-8` are ignored), or a 415.
    init(contentType: String?) throws(APIError) {
        let media = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let format = Self.mediaTypes.first(where: { $0.0 == media })?.1 else {
            throw APIError.unsupportedMediaType(
                "an upload is text/csv, application/json (an array of objects) or application/x-ndjson, not \(contentType ?? "nothing")")
        }
        self = format
    }
}
