import Foundation

/// JSON coding shared by every event: snake_case keys, RFC 3339 timestamps with milliseconds.
public enum EventCodec {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        Array(try makeEncoder().encode(value))
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        do {
            return try makeDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw EventError(.undecodablePayload, describe(error))
        }
    }

    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }

    /// UTC with milliseconds: `2026-12-03T15:43:18.123Z`.
    public static func formatTime(_ date: Date) -> String {
        RFC3339.format(date)
    }

    public static func parseTime(_ text: String) -> Date? {
        RFC3339.parse(text.utf8) ?? parseTimeLeniently(text)
    }

    /// `parseTime` of a header's bytes, without making a `String` on the common path.
    public static func parseTime(bytes: some Collection<UInt8>) -> Date? {
        RFC3339.parse(bytes) ?? parseTimeLeniently(String(decoding: bytes, as: UTF8.self))
    }

    /// Forms the fast reader leaves out, as Foundation reads them.
    private static func parseTimeLeniently(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// A short reason naming the field path, never the payload itself.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "payload" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context)).\(key.stringValue)".replacingOccurrences(of: "payload.", with: "")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return "invalid value at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "undecodable payload"
        }
    }
}
