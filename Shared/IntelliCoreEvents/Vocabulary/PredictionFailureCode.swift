/// Why a prediction failed: the `code` of `PredictionFailed`, defined here and nowhere else.
///
/// Codes are stable strings that callers branch on; a new failure gets a new code, an existing
/// one never changes meaning.
public enum PredictionFailureCode: String, Sendable, CaseIterable, Codable {
    /// The record value is larger than `INFERENCE_MAX_REQUEST_BYTES`.
    case payloadTooLarge = "payload_too_large"
    /// The value is not an OIP v2 inference request (JSON or protobuf).
    case undecodable
    /// No such model for the caller's tenant (also the answer for another tenant's model).
    case unknownModel = "unknown_model"
    /// The requested version does not exist or is retired, or an alias points at one.
    case unknownVersion = "unknown_version"
    /// The model has no deployment under the requested alias.
    case notDeployed = "not_deployed"
    /// The tenant is over its plan's prediction quota.
    case quotaExceeded = "quota_exceeded"
    /// The routed version's artifact could not be loaded.
    case modelUnavailable = "model_unavailable"
    case invalidShape = "invalid_shape"
    case invalidDatatype = "invalid_datatype"
    case nonFiniteInput = "non_finite_input"
    /// A feature the model needs is not among the request's inputs.
    case missingInput = "missing_input"
    /// A categorical feature's value is not one the model was trained on.
    case unknownCategory = "unknown_category"
    /// The forward pass failed.
    case computeFailed = "compute_failed"
}
