import Foundation

/// A consumed record. Key and value are nil when the record has none.
public struct KafkaConsumerMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Every header, in order. Built on access from a packed form: to read one header, use
    /// `header(named:)`, `headerString(named:)` or `header(named:hasPrefix:)`, which copy nothing else.
    public var headers: [KafkaHeader] {
        get { packedHeaders.unpacked() }
        set { packedHeaders = PackedHeaders(newValue) }
    }
    var packedHeaders: PackedHeaders
    /// Milliseconds since the epoch, when the broker or producer set one.
    public var timestampMilliseconds: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil) {
        self.init(topic: topic, partition: partition, offset: offset, key: key, value: value,
                  packedHeaders: PackedHeaders(headers), timestampMilliseconds: timestampMilliseconds)
    }

    init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
         packedHeaders: PackedHeaders, timestampMilliseconds: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.packedHeaders = packedHeaders
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The value of the last header called `name`; nil when there is none or it has no value.
    public func header(named name: String) -> [UInt8]? {
        packedHeaders.lastValue(named: name).map { Array($0) }
    }

    /// The value of the last header called `name` as a slice of the record's header bytes: no copy.
    public func headerBytes(named name: String) -> ArraySlice<UInt8>? {
        packedHeaders.lastValue(named: name)
    }

    public func headerString(named name: String) -> String? {
        packedHeaders.lastValue(named: name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether the last header called `name` has a value starting with `prefix`.
    public func header(named name: String, hasPrefix prefix: String) -> Bool {
        packedHeaders.lastValue(named: name)?.withUnsafeBytes { $0.hasUTF8Prefix(prefix) } ?? false
    }

    /// Whether the last header called `name` has exactly the value `text`.
    public func header(named name: String, equals text: String) -> Bool {
        packedHeaders.lastValue(named: name)?.withUnsafeBytes { $0.isUTF8(of: text) } ?? false
    }

    /// Whether the last header called `name` has a value (possibly empty).
    public func hasHeaderValue(named name: String) -> Bool {
        packedHeaders.lastValue(named: name) != nil
    }

    /// Whether a header called `name` is present (with or without a value).
    public func hasHeader(named name: String) -> Bool {
        packedHeaders.lastIndex(named: name) != nil
    }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    public var timestamp: Date? {
        timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}

/// A topic partition, optionally with an offset (`KafkaOffset`).
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64 = KafkaOffset.stored) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// Logical offsets understood by librdkafka.
public enum KafkaOffset {
    public static let beginning: Int64 = -2
    public static let end: Int64 = -1
    /// The group's committed offset, falling back to `auto.offset.reset`.
    public static let stored: Int64 = -1000
}
