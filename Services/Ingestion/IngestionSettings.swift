import Foundation
import IntelliCoreServiceKit

/// Ingestion's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `INGESTION_RATE_LIMITS` | `default=100:200`: requests per second and burst per API key, by plan (`free=10:20,pro=200:400`); `default` covers plans not listed |
/// | `INGESTION_ADMIN_KEY` | none: the platform administrator's key (24 characters or more), the only key that can create tenants. Without it, tenants can only be created by keys already issued |
struct IngestionSettings: ServiceSettings {
    var adminKey: String?
    /// Per plan name; `default` is always there.
    var rateLimits: [String: RateLimit]

    static let minimumAdminKeyLength = 24

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        rateLimits = try Self.rateLimits(reader.string("INGESTION_RATE_LIMITS", default: "default=100:200"))
        adminKey = reader.optionalString("INGESTION_ADMIN_KEY")
        if let adminKey, adminKey.count < Self.minimumAdminKeyLength {
            throw ConfigurationError(variable: "INGESTION_ADMIN_KEY",
                                     message: "must be at least \(Self.minimumAdminKeyLength) characters (it guards every tenant)")
        }
    }

    /// `plan=perSecond:burst,…`.
    static func rateLimits(_ text: String) throws(ConfigurationError) -> [String: RateLimit] {
        var limits: [String: RateLimit] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            let numbers = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard parts.count == 2, numbers.count == 2, let rate = Double(numbers[0]), rate > 0, let burst = Int(numbers[1]), burst >= 1 else {
                throw ConfigurationError(variable: "INGESTION_RATE_LIMITS",
                                         message: "\"\(entry)\" is not plan=requestsPerSecond:burst (for example free=10:20)")
            }
            limits[parts[0].trimmingCharacters(in: .whitespaces)] = RateLimit(perSecond: rate, burst: burst)
        }
        if limits["default"] == nil { limits["default"] = RateLimit(perSecond: 100, burst: 200) }
        return limits
    }
}
