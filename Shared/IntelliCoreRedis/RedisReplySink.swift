import CHiredis

/// Receives the values hiredis's reader parses, in place of hiredis's reply objects.
///
/// hiredis builds each reply through a table of functions (`redisReplyObjectFunctions`), by
/// default allocating a `redisReply` per value and a buffer per string: at one `HMGET` field per
/// request, that was a quarter of the inference service's allocations. `install(on:)` points a
/// connection's reader at functions that append to `replies` instead, whose buffers are kept
/// between pipelines. Used only on the connection's thread, like the connection.
final class RedisReplySink {
    var replies = RedisReplies()

    /// Points `context`'s reader at this sink. The sink must outlive the context.
    func install(on context: UnsafeMutablePointer<redisContext>) {
        guard let reader = context.pointee.reader else { return }
        reader.pointee.fn = Self.functions
        reader.pointee.privdata = Unmanaged.passUnretained(self).toOpaque()
    }

    /// What each function returns: hiredis needs a non-null object and hands it back as the
    /// reply; the values are in the sink. A zeroed `redisReply` (type 0, no such type), so that
    /// hiredis 1.x's check of a reply's type for RESP3 pushes reads a type that is not one.
    /// (`nonisolated(unsafe)`: written once, when first used, and only read after.)
    nonisolated(unsafe) private static let marker: UnsafeMutablePointer<redisReply> = {
        let marker = UnsafeMutablePointer<redisReply>.allocate(capacity: 1)
        marker.initialize(to: redisReply())
        return marker
    }()

    private static func withSink(_ task: UnsafePointer<redisReadTask>?, _ body: (RedisReplySink) -> Void) -> UnsafeMutableRawPointer? {
        guard let privdata = task?.pointee.privdata else { return nil }
        Unmanaged<RedisReplySink>.fromOpaque(privdata)._withUnsafeGuaranteedRef(body)
        return UnsafeMutableRawPointer(marker)
    }

    /// The table, built once. RESP3's types (hiredis 1.x's extra functions) are left unset: this
    /// client never asks for RESP3, and `RedisReplies.isComplete` catches a value made without us.
    /// (`nonisolated(unsafe)`: written once, when first used; hiredis only reads it.)
    nonisolated(unsafe) private static let functions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        var table = redisReplyObjectFunctions()
        table.createString = { task, text, length in
            withSink(task) { sink in
                let kind: RedisReplies.Kind = switch task?.pointee.type ?? 0 {
                case REDIS_REPLY_STATUS: .status
                case REDIS_REPLY_ERROR: .error
                default: .string
                }
                sink.replies.appendString(kind, UnsafeRawBufferPointer(start: text, count: Int(length)))
            }
        }
        table.createArray = { task, count in withSink(task) { $0.replies.appendArray(count: Int(count)) } }
        table.createInteger = { task, value in withSink(task) { $0.replies.appendInteger(Int64(value)) } }
        table.createNil = { task in withSink(task) { $0.replies.appendNull() } }
        // Nothing to free: the values live in the sink, cleared at the next pipeline.
        table.freeObject = { _ in }
        let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        functions.initialize(to: table)
        return functions
    }()
}
