import Foundation
import Hummingbird

/// Keyset pagination: `?limit=N&cursor=…` in, `{"items": […], "next_cursor": …}` out.
///
/// The cursor is opaque to clients: the base64url JSON of the sort key of the last item served
/// (`Position`), so the next page is `WHERE (key) > (position) ORDER BY key LIMIT n + 1` — stable
/// under inserts, and never an `OFFSET` scan.
public struct PageRequest<Position: Codable & Sendable>: Sendable {
    public let limit: Int
    /// Where the previous page ended; nil for the first page.
    public let after: Position?

    public static var defaultLimit: Int { 50 }
    public static var maximumLimit: Int { 500 }

    public init(limit: Int = Self.defaultLimit, after: Position? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `cursor` from the query; a bad value is a 400 naming the parameter.
    public init(_ request: Request) throws(APIError) {
        let query = request.uri.queryParameters
        if let text = query["limit"].map(String.init) {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumLimit)", code: "invalid_limit")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        if let cursor = query["cursor"].map(String.init), !cursor.isEmpty {
            guard let position = Self.decode(cursor) else {
                throw APIError.badRequest("cursor is not one this API issued", code: "invalid_cursor")
            }
            after = position
        } else {
            after = nil
        }
    }

    /// The page of `fetched` (read with `LIMIT limit + 1`): at most `limit` items, and a cursor
    /// when there is more.
    public func page<Item: Encodable & Sendable>(_ fetched: [Item], position: (Item) -> Position) -> Page<Item> {
        let items = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? items.last.map { Self.encode(position($0)) } : nil
        return Page(items: items, nextCursor: next)
    }

    /// The cursor that continues after `position`, for lists that page by hand.
    public static func cursor(for position: Position) -> String { encode(position) }

    static func encode(_ position: Position) -> String {
        Base64URL.encode((try? JSONEncoder().encode(position)) ?? Data())
    }

    static func decode(_ cursor: String) -> Position? {
        guard let data = Base64URL.decode(cursor), let position = try? JSONDecoder().decode(Position.self, from: data) else { return nil }
        // A forged date far outside any stored one would overflow PostgresNIO's timestamp encoding.
        if let date = position as? Date, !(abs(date.timeIntervalSinceReferenceDate) < 1e10) { return nil }
        return position
    }
}

/// One page of a list.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)  // null on the last page, never absent
    }
}
