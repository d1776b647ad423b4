/// The services the CLI talks to, and the port each has on the dev stack (`scripts/stack.sh`:
/// 19081 onwards, in this order).
enum Endpoint: String, CaseIterable {
    case gateway = "ingestion"
    case training = "training-orchestrator"
    case inference
    case monitoring
    case billing

    /// `INTELLICORE_<NAME>_URL` overrides one service's address.
    var environmentName: String {
        switch self {
        case .gateway: "INTELLICORE_GATEWAY_URL"
        case .training: "INTELLICORE_TRAINING_URL"
        case .inference: "INTELLICORE_INFERENCE_URL"
        case .monitoring: "INTELLICORE_MONITORING_URL"
        case .billing: "INTELLICORE_BILLING_URL"
        }
    }

    var devPort: Int { 19081 + (Self.allCases.firstIndex(of: self) ?? 0) }
}
