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
    /// per 2 000 records), and fetches again 10 ms after its local queue was full rather than
    /// librdkafka's 1 s (`fetch.queue.backoff.ms`): a consumer that processes slower than the
    /// broker delivers filled its queue, stopped fetching for a second and then sat idle once it
    /// had drained it — monitoring drained a backlog at half a core for that reason.
    var properties: [String: String] {
        switch self {
        case .hotPath: ["max.partition.fetch.bytes": String(16 << 20), "fetch.queue.backoff.ms": "10"]
        case .controlPlane: [:]
        }
    }
}
