/// Where the cache is and how long to wait for it.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int
    /// Connecting gives up after this long; default 200 ms.
    public var connectTimeout: Duration
    /// A command gives up after this long; default 100 ms, so a stuck Redis costs little.
    public var commandTimeout: Duration
    /// Reconnect attempts back off from 100 ms up to this; default 5 s.
    public var maximumReconnectDelay: Duration

    public init(host: String = "127.0.0.1", port: Int = 6379, password: String? = nil, database: Int = 0,
                connectTimeout: Duration = .milliseconds(200), commandTimeout: Duration = .milliseconds(100),
                maximumReconnectDelay: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maximumReconnectDelay = maximumReconnectDelay
    }
}
