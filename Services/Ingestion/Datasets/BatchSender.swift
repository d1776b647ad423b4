import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka

/// Hands `DatasetRecordsAppended` batches to Kafka in order, keyed by dataset id, with at most
/// `window` batches awaiting acknowledgement. Each batch's `ce_id` is derived from its place
/// (`<dataset>/<version>/<first row>`), so a batch sent twice is one event to an inbox.
struct BatchSender {
    let producer: KafkaProducer
    let topic: String
    let dataset: DatasetRecord
    let version: Int
    let source: String
    let window: Int
    private var inFlight: [KafkaDelivery] = []
    private(set) var sent = 0

    init(producer: KafkaProducer, topic: String, dataset: DatasetRecord, version: Int, source: String, window: Int) {
        self.producer = producer
        self.topic = topic
        self.dataset = dataset
        self.version = version
        self.source = source
        self.window = max(1, window)
    }

    mutating func send(_ batches: [(firstRow: Int, rows: Int, payload: [UInt8])]) async throws(UploadFailure) {
        guard !batches.isEmpty else { return }
        let messages = batches.map { batch in
            KafkaProducerMessage(event: CloudEvent(id: "\(dataset.datasetId)/\(version)/\(batch.firstRow)", source: source,
                                                   type: DatasetRecordsAppended.eventType, subject: dataset.datasetId,
                                                   tenantId: dataset.tenantId, data: batch.payload),
                                 topic: topic, key: dataset.datasetId)
        }
        do {
            inFlight.append(try await producer.enqueue(messages))
        } catch {
            throw UploadFailure(reason: .notDelivered, message: "rows could not be handed to Kafka: \(error)")
        }
        sent += batches.count
        while inFlight.count > window {
            try await awaitOldest()
        }
    }

    /// Waits until every batch sent is acknowledged.
    mutating func drain() async throws(UploadFailure) {
        while !inFlight.isEmpty { try await awaitOldest() }
    }

    private mutating func awaitOldest() async throws(UploadFailure) {
        let delivery = inFlight.removeFirst()
        for result in await delivery.results() {
            if case .failure(let error) = result {
                throw UploadFailure(reason: .notDelivered, message: "Kafka did not acknowledge a batch of rows: \(error)")
            }
        }
    }
}
