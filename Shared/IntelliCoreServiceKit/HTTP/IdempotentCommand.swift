import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import IntelliCoreEvents
import IntelliCorePostgres
import PostgresNIO

/// A command's answer as the client gets it, and as an `Idempotency-Key` keeps it.
public struct CommandAnswer: Sendable {
    public let status: HTTPResponse.Status
    public let body: [UInt8]

    /// `value` in the events' JSON form (snake_case keys, RFC 3339 times), so that an answer
    /// that carries part of an event spells it as the event does.
    public init(_ status: HTTPResponse.Status, _ value: some Encodable) throws {
        self.status = status
        body = try EventCodec.encode(value)
    }

    public init(status: HTTPResponse.Status, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public func response(replayed: Bool) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if replayed { headers[IdempotentCommand.replayedHeader] = "true" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Runs an HTTP command in one transaction of the service's database: what it writes, the events
/// it publishes and (with an `Idempotency-Key` header) its answer commit together.
///
/// The same key with the same method, path and body within 24 hours returns the first answer
/// (marked `Idempotent-Replayed: true`) and runs nothing; the same key with another request is a
/// 422. A command that fails keeps nothing, so its retry runs afresh. Concurrent requests with one
/// key serialise on the key's row: the second waits for the first to commit, then replays it.
public enum IdempotentCommand {
    public static let keyHeader = HTTPField.Name("Idempotency-Key")!
    public static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!
    /// How long an answer is kept.
    public static let retention: Duration = .seconds(24 * 3600)

    /// Reads the body (JSON, up to `limit`; empty when `allowEmpty`) and runs `command` with it.
    public static func run(_ request: Request, tenant: String, context: ServiceContext, limit: Int = JSONRequestBody.defaultLimit,
                           allowEmpty: Bool = false,
                           _ command: (Data, EventTransaction) async throws -> CommandAnswer) async throws -> Response {
        let key = try idempotencyKey(request)
        let body = try await JSONRequestBody.bytes(of: request, limit: limit, allowEmpty: allowEmpty)
        let digest = digest(method: request.method.rawValue, path: request.uri.path, body: body)
        let table = context.schema.qualified("idempotency_keys")
        let (answer, replayed) = try await context.transaction { transaction -> (CommandAnswer, Bool) in
            if let key {
                if let earlier = try await claim(key, tenant: tenant, digest: digest, table: table, transaction: transaction) {
                    return (earlier, true)
                }
            }
            let answer = try await command(body, transaction)
            if let key {
                try await transaction.connection.query("""
                    UPDATE \(unescaped: table) SET status = \(Int(answer.status.code)), response = \(ByteBuffer(bytes: answer.body))
                    WHERE tenant_id = \(tenant) AND idempotency_key = \(key)
                    """, logger: transaction.logger)
            }
            return (answer, false)
        }
        return answer.response(replayed: replayed)
    }

    /// Deletes answers older than the retention (a periodic sweep; expired rows are also taken
    /// over by a new request with their key).
    public static func sweep(context: ServiceContext) async throws {
        try await context.postgres.query("""
            DELETE FROM \(unescaped: context.schema.qualified("idempotency_keys"))
            WHERE created_at < now() - make_interval(secs => \(Double(retention.components.seconds)))
            """, logger: context.logger)
    }

    /// Takes the key for this request and returns nil, or returns the answer an earlier request
    /// with the key got. Throws 422 when the key was used for another request.
    private static func claim(_ key: String, tenant: String, digest: String, table: String,
                              transaction: EventTransaction) async throws -> CommandAnswer? {
        let retentionSeconds = Double(retention.components.seconds)
        let claimed = try await transaction.connection.query("""
            INSERT INTO \(unescaped: table) (tenant_id, idempotency_key, request_digest) VALUES (\(tenant), \(key), \(digest))
            ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
                SET request_digest = EXCLUDED.request_digest, status = NULL, response = NULL, created_at = now()
                WHERE \(unescaped: table).created_at < now() - make_interval(secs => \(retentionSeconds))
            RETURNING 1
            """, logger: transaction.logger)
        for try await _ in claimed.decode(Int.self) { return nil }
        let rows = try await transaction.connection.query("""
            SELECT request_digest, status, response FROM \(unescaped: table) WHERE tenant_id = \(tenant) AND idempotency_key = \(key)
            """, logger: transaction.logger)
        for try await (storedDigest, status, response) in rows.decode((String, Int?, ByteBuffer?).self) {
            guard storedDigest == digest else {
                throw APIError.unprocessable("Idempotency-Key \(key) was already used for another request in the last 24 hours",
                                             code: "idempotency_key_reused", details: ["header": "Idempotency-Key"])
            }
            guard let status, let response else { break }
            return CommandAnswer(status: HTTPResponse.Status(code: status), body: Array(buffer: response))
        }
        // The row is ours after the insert's conflict wait, or went away in between: either way
        // nothing was answered under the key, and the caller may retry.
        throw APIError(.conflict, code: "idempotency_key_in_use", message: "a request with Idempotency-Key \(key) is still running; retry it",
                       retryAfterSeconds: 1)
    }

    /// 1–255 visible ASCII characters, or no header.
    public static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[keyHeader] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw APIError.badRequest("Idempotency-Key must be 1–255 visible ASCII characters", code: "invalid_idempotency_key",
                                      details: ["header": "Idempotency-Key"])
        }
        return key
    }

    static func digest(method: String, path: String, body: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
