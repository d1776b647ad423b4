/// A model's identity: two tenants may each have a model of the same name.
public struct ModelKey: Hashable, Sendable, CustomStringConvertible {
    public let tenant: String
    public let model: String

    public init(tenant: String, model: String) {
        self.tenant = tenant
        self.model = model
    }

    public var description: String { "\(tenant)/\(model)" }
}
