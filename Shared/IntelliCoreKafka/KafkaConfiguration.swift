/// Settings for a producer. Defaults suit the platform; `properties` overrides any librdkafka
/// property by name (see librdkafka's CONFIGURATION.md).
public struct KafkaProducerConfiguration: Sendable {
    /// `host:port[,host:port…]`. Use `127.0.0.1`, not `localhost`, with the local broker.
    public var bootstrapServers: String
    public var clientId: String
    /// Idempotent delivery (no duplicates or reordering from retries). Default true.
    public var idempotent: Bool
    /// How long records wait to form a batch. Default 5 ms.
    public var lingerMilliseconds: Int
    /// How many records may wait in the local queue before `send` waits for room. Default 500 000.
    public var queueCapacity: Int
    public var properties: [String: String]

    public init(bootstrapServers: String, clientId: String = "intellicore", idempotent: Bool = true,
                lingerMilliseconds: Int = 5, queueCapacity: Int = 500_000, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.idempotent = idempotent
        self.lingerMilliseconds = lingerMilliseconds
        self.queueCapacity = queueCapacity
        self.properties = properties
    }

    var librdkafkaProperties: [String: String] {
        var values = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientId,
            "enable.idempotence": idempotent ? "true" : "false",
            "linger.ms": String(lingerMilliseconds),
            "queue.buffering.max.messages": String(queueCapacity),
            "queue.buffering.max.kbytes": "1048576",
            "batch.num.messages": "10000",
            "message.timeout.ms": "60000",
            "log.connection.close": "false",
        ]
        values.merge(properties) { _, override in override }
        return values
    }
}

/// Settings for a consumer.
public struct KafkaConsumerConfiguration: Sendable {
    /// How partitions are handed out in a group.
    public enum RebalanceProtocol: String, Sendable {
        /// Incremental (cooperative-sticky): only moved partitions stop; the default.
        case cooperative = "cooperative-sticky"
        /// Eager (range): every member gives up everything on each rebalance.
        case eager = "range"
    }

    public enum OffsetReset: String, Sendable {
        case earliest, latest
    }

    public var bootstrapServers: String
    public var clientId: String
    /// The consumer group. Without one, only `assign` works and nothing is committed.
    public var groupId: String?
    public var rebalanceProtocol: RebalanceProtocol
    public var offsetReset: OffsetReset
    /// Default 6 s: Tansu's group joins are slow with librdkafka's 45 s default.
    public var sessionTimeoutMilliseconds: Int
    public var heartbeatIntervalMilliseconds: Int
    /// How often stored offsets are committed in the background. Default 1 s.
    public var autoCommitIntervalMilliseconds: Int
    /// How long the broker may hold a fetch waiting for data. Default 10 ms: librdkafka's 500 ms
    /// default showed up as ~0.5 s of latency per consumer hop against Tansu.
    public var fetchWaitMilliseconds: Int
    public var properties: [String: String]

    public init(bootstrapServers: String, clientId: String = "intellicore", groupId: String?,
                rebalanceProtocol: RebalanceProtocol = .cooperative, offsetReset: OffsetReset = .earliest,
                sessionTimeoutMilliseconds: Int = 6000, heartbeatIntervalMilliseconds: Int = 500,
                autoCommitIntervalMilliseconds: Int = 1000, fetchWaitMilliseconds: Int = 10, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.groupId = groupId
        self.rebalanceProtocol = rebalanceProtocol
        self.offsetReset = offsetReset
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.autoCommitIntervalMilliseconds = autoCommitIntervalMilliseconds
        self.fetchWaitMilliseconds = fetchWaitMilliseconds
        self.properties = properties
    }

    var librdkafkaProperties: [String: String] {
        var values = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientId,
            "auto.offset.reset": offsetReset.rawValue,
            // At-least-once: offsets are stored by the application after processing, then
            // committed in the background, on revoke and on close.
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "false",
            "log.connection.close": "false",
            "fetch.wait.max.ms": String(fetchWaitMilliseconds),
        ]
        if let groupId {
            values["group.id"] = groupId
            values["enable.auto.commit"] = "true"
            values["auto.commit.interval.ms"] = String(autoCommitIntervalMilliseconds)
            values["partition.assignment.strategy"] = rebalanceProtocol.rawValue
            values["session.timeout.ms"] = String(sessionTimeoutMilliseconds)
            values["heartbeat.interval.ms"] = String(heartbeatIntervalMilliseconds)
        } else {
            // librdkafka's consumer reports "Unknown group" without a group id even when it only
            // assigns partitions; a private id that never joins or commits keeps it quiet.
            values["group.id"] = "intellicore-unmanaged-\(UInt64.random(in: 0...UInt64.max))"
            values["enable.auto.commit"] = "false"
        }
        values.merge(properties) { _, override in override }
        return values
    }
}
