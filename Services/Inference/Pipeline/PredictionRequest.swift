import IntelliCoreEvents
import IntelliCoreOIP

/// One `PredictionRequested` record of a batch, complete once decoded: what its answers carry
/// back, and the outcome so far. Stages after decoding only ever set `failure`.
struct PredictionRequest {
    /// The request's `ce_id` bytes, a slice of the record's headers: the answers' ids are built from them.
    let eventId: ArraySlice<UInt8>
    /// The `ce_tenantid` header value, passed on to the answers as it came.
    let tenantHeader: [UInt8]?
    /// The record key (the entity): the answers' key too, so one entity's answers share a
    /// partition and keep their order.
    let key: [UInt8]?
    /// When the record was produced (seconds since the epoch).
    let received: Double
    /// Asked in OIP protobuf: completed answers go back the same way.
    let protobuf: Bool
    /// The OIP request id (the record's `ce_subject` or `ce_id` when the body has none).
    let id: String
    /// The model asked for, once the body decoded.
    let model: String?
    /// The decoded body; nil when decoding failed.
    let body: OIPRequest?
    /// Where a waiting caller reads its answer (request-reply headers), when it named one.
    let reply: ReplyAddress?
    var failure: PredictionFailure?

    /// The tenant, as the header names it ("" when the record has none).
    var tenant: String { tenantHeader.map { String(decoding: $0, as: UTF8.self) } ?? "" }

    mutating func fail(_ code: PredictionFailureCode, _ message: String, version: Int? = nil) {
        failure = PredictionFailure(code: code, message: message, version: version)
    }
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
