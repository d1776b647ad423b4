/// A service's own settings, read from the environment by the kit at start, next to
/// `ServiceConfiguration`: a bad value stops start-up with exit code 78 and names the variable.
public protocol ServiceSettings: Sendable {
    init(environment: EnvironmentReader) throws(ConfigurationError)
}

/// For services without settings of their own.
public struct NoServiceSettings: ServiceSettings {
    public init(environment: EnvironmentReader) {}
}
