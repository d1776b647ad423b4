import IntelliCoreEvents

/// One version of one tenant's model: the unit of loading, batching and result caching.
struct ModelVersionKey: Hashable, Sendable {
    let tenant: String
    let model: String
    let version: Int

    init(tenant: String, model: String, version: Int) {
        self.tenant = tenant
        self.model = model
        self.version = version
    }

    init(_ model: ModelKey, version: Int) {
        self.init(tenant: model.tenant, model: model.model, version: version)
    }

    var modelKey: ModelKey { ModelKey(tenant: tenant, model: model) }
}
