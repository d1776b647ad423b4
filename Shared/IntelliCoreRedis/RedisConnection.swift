import CHiredis
import Foundation
import IntelliCoreConcurrency
import Logging

/// One hiredis connection, used only on the cache's dedicated thread.
///
/// Any failure drops the connection; the next call reconnects once the backoff delay has passed
/// and until then answers "unavailable" immediately.
final class RedisConnection {
    enum Failure: Error { case unavailable, protocolError(String) }

    private let configuration: RedisConfiguration
    private let logger: Logger
    private var context: UnsafeMutablePointer<redisContext>?
    private var backoff: Backoff
    private var nextAttempt = ContinuousClock.now
    private var reportedDown = false
    /// Where hiredis's reader puts the values it reads (see `RedisReplySink`).
    private let sink = RedisReplySink()
    var onAvailabilityChange: (Bool) -> Void = { _ in }

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.backoff = Backoff(initial: .milliseconds(100), maximum: configuration.maximumReconnectDelay)
    }

    deinit { disconnect() }

    func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends all commands in one pipeline and returns their replies in order. The replies are
    /// read into this connection's sink and copied out once for the whole pipeline.
    func pipeline(_ commands: [RedisArguments]) throws(Failure) -> RedisReplies {
        let context = try connected()
        for command in commands {
            let status = Self.withArgv(command) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw drop(reason: "append failed") }
        }
        sink.replies.removeAll()
        for _ in commands {
            sink.replies.beginReply()
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, raw != nil else { throw drop(reason: errorText(context)) }
        }
        guard sink.replies.isComplete else { throw drop(reason: "replies did not match what was read") }
        return sink.replies
    }

    private func connected() throws(Failure) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        guard ContinuousClock.now >= nextAttempt else { throw .unavailable }
        let timeout = Self.timeval(configuration.connectTimeout)
        guard let fresh = redisConnectWithTimeout(configuration.host, Int32(configuration.port), timeout) else {
            throw scheduleRetry(reason: "out of memory")
        }
        if fresh.pointee.err != 0 {
            let reason = errorText(fresh)
            redisFree(fresh)
            throw scheduleRetry(reason: reason)
        }
        redisSetTimeout(fresh, Self.timeval(configuration.commandTimeout))
        sink.install(on: fresh)
        context = fresh
        var setup: [RedisArguments] = []
        if let password = configuration.password { setup.append(RedisArguments("AUTH", password)) }
        if configuration.database != 0 { setup.append(RedisArguments("SELECT", String(configuration.database))) }
        if !setup.isEmpty {
            let replies = try pipeline(setup)
            if let failure = (0..<replies.count).lazy.map({ replies.reply(at: $0) }).first(where: { $0.isError }) {
                disconnect()
                throw scheduleRetry(reason: "setup rejected: \(failure)")
            }
        }
        backoff.reset()
        if reportedDown {
            reportedDown = false
            logger.info("redis reachable again; cache on", metadata: ["redis.address": "\(configuration.host):\(configuration.port)"])
        }
        onAvailabilityChange(true)
        return fresh
    }

    private func drop(reason: String) -> Failure {
        disconnect()
        return scheduleRetry(reason: reason)
    }

    private func scheduleRetry(reason: String) -> Failure {
        nextAttempt = ContinuousClock.now + backoff.next()
        if !reportedDown {
            reportedDown = true
            logger.warning("redis unavailable; cache off until it returns", metadata: [
                "redis.address": "\(configuration.host):\(configuration.port)", "error": "\(reason)",
            ])
        }
        onAvailabilityChange(false)
        return .unavailable
    }

    private func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let microseconds = duration.totalMicroseconds
        return Glibc.timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
    }

    private static func withArgv<R>(_ command: RedisArguments,
                                    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        command.bytes.withUnsafeBufferPointer { bytes in
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(command.count)
            var offset = 0
            for length in command.lengths {
                pointers.append(UnsafeRawPointer(bytes.baseAddress.map { $0 + offset } ?? UnsafePointer(bitPattern: 1)!)
                    .assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                command.lengths.withUnsafeBufferPointer { body(Int32(command.count), argv.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}

/// A Redis reply as a value, for commands of a few values (`RedisReplies.reply(at:)`). (Not
/// `indirect`: the array case holds an array already, and boxing each reply with a payload cost
/// one more allocation per value read.)
enum Reply: CustomStringConvertible {
    case string([UInt8])
    case integer(Int64)
    case null
    case status(String)
    case error(String)
    case array([Reply])

    var isError: Bool { if case .error = self { return true } else { return false } }

    var bytes: [UInt8]? { if case .string(let bytes) = self { return bytes } else { return nil } }

    var description: String {
        switch self {
        case .string(let bytes): "string(\(bytes.count) bytes)"
        case .integer(let value): "integer(\(value))"
        case .null: "nil"
        case .status(let text): "status(\(text))"
        case .error(let text): "error(\(text))"
        case .array(let items): "array(\(items.count))"
        }
    }
}
