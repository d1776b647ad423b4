import IntelliCoreEvents
import IntelliCoreOIP

/// One `PredictionRequested` record of a batch, complete once decoded: what its answers carry
/// back, and the outcome so far. Stages after decoding only ever set `failure`. Its bytes (ids,
/// key, tenant header) are spans of the batch's `RequestBytes`, its numbers a range of the batch's
/// input buffer: a request holds no array of its own.
struct PredictionRequest {
    /// The request's `ce_id`: the answers' ids are built from it.
    let eventId: RequestBytes.Span
    /// The `ce_tenantid` header value, passed on to the answers as it came.
    let tenantHeader: RequestBytes.Span?
    /// The tenant, as the header names it ("" when the record has none).
    let tenant: String
    /// The record key (the entity): the answers' key too, so one entity's answers share a
    /// partition and keep their order.
    let key: RequestBytes.Span?
    /// When the record was produced (seconds since the epoch).
    let received: Double
    /// Asked in OIP protobuf: completed answers go back the same way.
    let protobuf: Bool
    /// The OIP request id (the record's `ce_subject` or `ce_id` when the body has none).
    let id: RequestBytes.Span
    /// What the body asks for, once it decoded.
    let model: String?
    let version: String?
    let alias: String?
    let input: RequestInput?
    /// Where a waiting caller reads its answer (request-reply headers), when it named one.
    let reply: ReplyAddress?
    var failure: PredictionFailure?

    mutating func fail(_ code: PredictionFailureCode, _ message: String, version: Int? = nil) {
        failure = PredictionFailure(code: code, message: message, version: version)
    }
}

/// A decoded request's inputs.
enum RequestInput {
    /// The common form, one numeric `[rows, columns]` tensor, its numbers a range of the batch's
    /// input buffer.
    case matrix(name: String, datatype: String, rows: Int, columns: Int, values: Range<Int>)
    /// Any other form, decoded whole.
    case body(OIPRequest)
}

/// Where the primary answer goes once more for a caller that waits for it (`ReplyHeader`).
struct ReplyAddress: Equatable {
    let topic: String
    let partition: Int32
    let correlationId: [UInt8]
}

/// Why a request is answered with `PredictionFailed`.
struct PredictionFailure: Equatable {
    let code: PredictionFailureCode
    let message: String
    /// The version routed to, when routing got that far.
    let version: Int?
}
