/// Chooses a backend by name at start (`INFERENCE_BACKEND`).
public enum NumericsBackends {
    public static func make(named name: String) throws(NumericsError) -> any NumericsBackend {
        switch name {
        case "openblas": return OpenBLASBackend()
        case "cuda": return try CUDABackend()
        default: throw NumericsError(.backendUnavailable, "unknown numerics backend \(name); use openblas or cuda")
        }
    }
}
