import Foundation
import IntelliCoreServiceKit

/// Ingestion's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `INGESTION_RATE_LIMITS` | `default=100:200`: requests per second and burst per API key, by plan (`free=10:20,pro=200:400`); `default` covers plans not listed |
/// | `INGESTION_ADMIN_KEY` | none: the platform administrator's key (24 characters or more), the only key that can create tenants. Without it, tenants can only be created by keys already issued |
/// | `INGESTION_PREDICT_TIMEOUT_MS` | 5000: how long a synchronous prediction waits when the request names no deadline |
/// | `INGESTION_PREDICT_MAX_TIMEOUT_MS` | 60000: the longest deadline a request may ask for |
/// | `INGESTION_MAX_IN_FLIGHT` | 4096: synchronous predictions waiting at once per replica; more are refused with 503 and `Retry-After` |
/// | `INGESTION_MAX_PREDICT_BYTES` | 1048576: the largest inference request body |
struct IngestionSettings: ServiceSettings {
    var adminKey: String?
    /// Per plan name; `default` is always there.
    var rateLimits: [String: RateLimit]
    var predictTimeouts: PredictTimeouts
    var maxInFlight: Int

    static let minimumAdminKeyLength = 24

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        rateLimits = try Self.rateLimits(reader.string("INGESTION_RATE_LIMITS", default: "default=100:200"))
        let maximum = try reader.integer("INGESTION_PREDICT_MAX_TIMEOUT_MS", default: 60_000, range: 1...600_000)
        predictTimeouts = PredictTimeouts(
            defaultTimeout: .milliseconds(try reader.integer("INGESTION_PREDICT_TIMEOUT_MS", default: 5000, range: 1...maximum)),
            maximum: .milliseconds(maximum),
            maxBodyBytes: try reader.integer("INGESTION_MAX_PREDICT_BYTES", default: 1 << 20, range: 1024...(64 << 20)))
        maxInFlight = try reader.integer("INGESTION_MAX_IN_FLIGHT", default: 4096, range: 1...1_000_000)
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
