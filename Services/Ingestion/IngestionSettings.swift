import IntelliCoreServiceKit

/// Ingestion's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `INGESTION_ADMIN_KEY` | none: the platform administrator's key (24 characters or more), the only key that can create tenants. Without it, tenants can only be created by keys already issued |
struct IngestionSettings: ServiceSettings {
    var adminKey: String?

    static let minimumAdminKeyLength = 24

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        adminKey = reader.optionalString("INGESTION_ADMIN_KEY")
        if let adminKey, adminKey.count < Self.minimumAdminKeyLength {
            throw ConfigurationError(variable: "INGESTION_ADMIN_KEY",
                                     message: "must be at least \(Self.minimumAdminKeyLength) characters (it guards every tenant)")
        }
    }
}
