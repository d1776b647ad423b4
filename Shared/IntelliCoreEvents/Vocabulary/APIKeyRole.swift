/// What an API key may do. Ordered: each role may do everything the ones below it may.
public enum APIKeyRole: String, Sendable, CaseIterable, Codable, Comparable {
    /// Reads only.
    case viewer
    /// Reads, uploads data, trains, deploys and predicts.
    case developer
    /// Everything, including the tenant's keys.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .developer: 1
        case .admin: 2
        }
    }

    public static func < (lhs: APIKeyRole, rhs: APIKeyRole) -> Bool { lhs.rank < rhs.rank }

    /// True when this role may do what `required` may.
    public func allows(_ required: APIKeyRole) -> Bool { self >= required }
}
