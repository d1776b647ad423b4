/// How quickly a consumer must see new records, as the longest time the broker may hold a fetch.
public enum ConsumerLatency: Sendable {
    case hotPath
    case controlPlane

    var fetchWaitMilliseconds: Int {
        switch self {
        case .hotPath: 10
        case .controlPlane: 200
        }
    }

    /// A hot-path consumer takes up to 16 MiB per partition per fetch (librdkafka's default is
    /// 1 MiB, about 2 000 requests: one partition then capped a consumer at one fetch round trip
    /// per 2 000 records).
    var properties: [String: String] {
        switch self {
        case .hotPath: ["max.partition.fetch.bytes": String(16 << 20)]
        case .controlPlane: [:]
        }
    }
}
