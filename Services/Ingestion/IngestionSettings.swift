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
/// | `INGESTION_MAX_UPLOAD_BYTES` | 10737418240 (10 GiB): the largest dataset upload, decompressed |
/// | `INGESTION_MAX_ROW_BYTES` | 1048576: the longest row of an upload; a longer one is rejected as `row_too_large` |
/// | `INGESTION_DATASET_BATCH_ROWS` | 1000: rows per `DatasetRecordsAppended` |
/// | `INGESTION_MAX_REJECTED_SHARE` | 0.05: the share of rejected rows past which a version fails instead of being sealed |
/// | `INGESTION_QUALITY_SAMPLES` | 100: problems a quality report keeps with their row number and value |
/// | `INGESTION_UPLOAD_LEASE_SECONDS` | 30: an upload that recorded no progress for this long is declared interrupted (never one this replica is still running) |
/// | `INGESTION_UPLOAD_BATCHES_IN_FLIGHT` | 16: batches of one upload awaiting the broker's acknowledgement |
struct IngestionSettings: ServiceSettings {
    var adminKey: String?
    /// Per plan name; `default` is always there.
    var rateLimits: [String: RateLimit]
    var predictTimeouts: PredictTimeouts
    var maxInFlight: Int
    var uploads: UploadSettings

    static let minimumAdminKeyLength = 24

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        rateLimits = try Self.rateLimits(reader.string("INGESTION_RATE_LIMITS", default: "default=100:200"))
        let maximum = try reader.integer("INGESTION_PREDICT_MAX_TIMEOUT_MS", default: 60_000, range: 1...600_000)
        predictTimeouts = PredictTimeouts(
            defaultTimeout: .milliseconds(try reader.integer("INGESTION_PREDICT_TIMEOUT_MS", default: 5000, range: 1...maximum)),
            maximum: .milliseconds(maximum),
            maxBodyBytes: try reader.integer("INGESTION_MAX_PREDICT_BYTES", default: 1 << 20, range: 1024...(64 << 20)))
        maxInFlight = try reader.integer("INGESTION_MAX_IN_FLIGHT", default: 4096, range: 1...1_000_000)
        uploads = UploadSettings(
            maxBytes: try reader.integer("INGESTION_MAX_UPLOAD_BYTES", default: 10 << 30, range: 1024...(1 << 50)),
            maxRowBytes: try reader.integer("INGESTION_MAX_ROW_BYTES", default: 1 << 20, range: 256...(64 << 20)),
            batchRows: try reader.integer("INGESTION_DATASET_BATCH_ROWS", default: 1000, range: 1...100_000),
            maxRejectedShare: try reader.number("INGESTION_MAX_REJECTED_SHARE", default: 0.05, range: 0...1),
            sampleLimit: try reader.integer("INGESTION_QUALITY_SAMPLES", default: 100, range: 0...100_000),
            lease: .seconds(try reader.integer("INGESTION_UPLOAD_LEASE_SECONDS", default: 30, range: 1...3600)),
            batchesInFlight: try reader.integer("INGESTION_UPLOAD_BATCHES_IN_FLIGHT", default: 16, range: 1...1024))
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
