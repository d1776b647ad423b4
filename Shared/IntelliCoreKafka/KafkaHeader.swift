/// One Kafka record header. A header may have no value.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

extension Array where Element == KafkaHeader {
    /// The value of the last header called `name` (Kafka allows repeats; the last one wins).
    public func value(named name: String) -> [UInt8]? {
        last(where: { $0.name == name })?.value
    }

    public func string(named name: String) -> String? {
        value(named: name).map { String(decoding: $0, as: UTF8.self) }
    }
}
