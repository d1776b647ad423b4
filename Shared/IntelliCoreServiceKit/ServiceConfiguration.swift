import IntelliCoreEvents
import IntelliCorePostgres
import IntelliCoreRedis
import Logging

/// Everything a service reads from its environment at start, in one place.
///
/// | variable | default |
/// |---|---|
/// | `SERVICE_HTTP_HOST` / `SERVICE_HTTP_PORT` | `127.0.0.1` / the service's own port (8081…8085) |
/// | `KAFKA_BOOTSTRAP` | `127.0.0.1:19092` (the local dev stack) |
/// | `KAFKA_LINGER_MS` | `5`: how long produced records wait to share a request (latency against broker load) |
/// | `KAFKA_DEBUG` | none: librdkafka's debug contexts for every client (`cgrp,fetch`, `all`); its lines are logged at `debug`, so set `LOG_LEVEL=debug` too |
/// | `INTELLICORE_TOPIC_PREFIX` | empty |
/// | `INTELLICORE_SCHEMA_PREFIX` | empty: put before the service's PostgreSQL schema name (`it42_ingestion`), so that stacks share one database without sharing tables |
/// | `POSTGRES_HOST` / `_PORT` / `_USER` / `_PASSWORD` / `_DATABASE` | `127.0.0.1` / `19432` / `intellicore` / `intellicore` / `intellicore` |
/// | `POSTGRES_MAX_CONNECTIONS` | `10` |
/// | `REDIS_HOST` / `REDIS_PORT` / `REDIS_PASSWORD` | `127.0.0.1` / `19379` / none |
/// | `LOG_LEVEL` | `info` |
public struct ServiceConfiguration: Sendable {
    /// The librdkafka properties every client of the service gets on top of its own.
    public var kafkaProperties: [String: String] { kafkaDebug.map { ["debug": $0] } ?? [:] }

    public var serviceName: String
    public var httpHost: String
    public var httpPort: Int
    public var kafkaBootstrap: String
    public var kafkaLingerMilliseconds: Int
    /// librdkafka's `debug` property for every client, or nil.
    public var kafkaDebug: String?
    public var topics: TopicNames
    public var schemaPrefix: String
    public var postgres: PostgresSettings
    public var redis: RedisConfiguration
    public var logLevel: Logger.Level

    public init(service: String, defaultHTTPPort: Int, environment: [String: String]) throws(ConfigurationError) {
        let reader = EnvironmentReader(environment)
        serviceName = service
        httpHost = reader.string("SERVICE_HTTP_HOST", default: "127.0.0.1")
        httpPort = try reader.port("SERVICE_HTTP_PORT", default: defaultHTTPPort)
        kafkaBootstrap = reader.string("KAFKA_BOOTSTRAP", default: "127.0.0.1:19092")
        kafkaLingerMilliseconds = try reader.integer("KAFKA_LINGER_MS", default: 5, range: 0...10_000)
        kafkaDebug = reader.optionalString("KAFKA_DEBUG")
        topics = TopicNames(prefix: reader.string("INTELLICORE_TOPIC_PREFIX", default: ""))
        schemaPrefix = reader.string("INTELLICORE_SCHEMA_PREFIX", default: "")
        postgres = PostgresSettings(
            host: reader.string("POSTGRES_HOST", default: "127.0.0.1"),
            port: try reader.port("POSTGRES_PORT", default: 19432),
            username: reader.string("POSTGRES_USER", default: "intellicore"),
            password: reader.string("POSTGRES_PASSWORD", default: "intellicore"),
            database: reader.string("POSTGRES_DATABASE", default: "intellicore"),
            maximumConnections: try reader.integer("POSTGRES_MAX_CONNECTIONS", default: 10, range: 1...500)
        )
        redis = RedisConfiguration(
            host: reader.string("REDIS_HOST", default: "127.0.0.1"),
            port: try reader.port("REDIS_PORT", default: 19379),
            password: reader.optionalString("REDIS_PASSWORD")
        )
        let level = reader.string("LOG_LEVEL", default: "info").lowercased()
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ConfigurationError(variable: "LOG_LEVEL", message: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = parsed
        if let kafkaDebug, kafkaDebug.contains(where: { !($0.isLetter || $0 == ",") }) {
            throw ConfigurationError(variable: "KAFKA_DEBUG", message: "must be librdkafka debug contexts separated by commas, such as cgrp,fetch")
        }
        guard kafkaBootstrap.contains(":") else {
            throw ConfigurationError(variable: "KAFKA_BOOTSTRAP", message: "must be host:port[,host:port…]")
        }
    }
}

/// A bad configuration value: which variable, and what it should be. Never prints secrets.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public let message: String

    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "configuration error: \(variable) \(message)" }
}

/// Reads typed values from environment variables with errors that name the variable.
public struct EnvironmentReader {
    let environment: [String: String]

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    public func optionalString(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func string(_ name: String, default value: String) -> String {
        optionalString(name) ?? value
    }

    public func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = optionalString(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError(variable: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return number
    }

    public func number(_ name: String, default value: Double, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let text = optionalString(name) else { return value }
        guard let number = Double(text), range.contains(number) else {
            throw ConfigurationError(variable: name, message: "must be a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return number
    }

    public func port(_ name: String, default value: Int) throws(ConfigurationError) -> Int {
        try integer(name, default: value, range: 1...65535)
    }
}
