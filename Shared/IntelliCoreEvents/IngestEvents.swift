/// One raw record from an outside producer, on `intellicore.ingest.raw` keyed by dataset id.
public struct RawRecordSubmitted: DomainEvent, Hashable {
    public static let eventType = "intellicore.ingest.record.submitted.v1"
    public static let topic = Topic.ingestRaw

    public var datasetId: String
    /// Column name to value, validated by ingestion against the dataset's schema.
    public var record: [String: JSONValue]

    public init(datasetId: String, record: [String: JSONValue]) {
        self.datasetId = datasetId
        self.record = record
    }
}
