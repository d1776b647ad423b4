/// The librdkafka this process is linked against.
public enum KafkaClientVersion {
    /// The linked library's version string, for start-up logs.
    public static var linked: String { RDKafkaClient.versionString }
    public static var minimum: String { RDKafkaClient.minimumVersionString }

    /// Throws a `KafkaError` with a clear message when the linked librdkafka is too old.
    public static func check() throws { try RDKafkaClient.checkVersion() }
}
