import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreServiceKit
import Logging
import ServiceLifecycle
import Synchronization

/// Reads this replica's partitions of the replies topic (a consumer group shares them out among
/// the gateway's replicas) and hands each answer to the request waiting for it.
///
/// Requests name one of the partitions this replica is assigned as their reply partition, so a
/// replica reads only its own callers' answers. The service is not ready for synchronous
/// predictions until it has partitions.
final class ReplyConsumer: Service, Sendable {
    private let consumer: KafkaConsumer
    private let topic: String
    private let pending: PendingReplies
    private let health: HealthMonitor
    private let logger: Logger
    private let nextPartition = Atomic<Int>(0)

    static let healthCheck = "replies"

    init(consumer: KafkaConsumer, topic: String, pending: PendingReplies, health: HealthMonitor, logger: Logger) {
        self.consumer = consumer
        self.topic = topic
        self.pending = pending
        self.health = health
        self.logger = logger
        health.update(Self.healthCheck, ok: false, detail: "no partition of \(topic) assigned yet")
    }

    /// A partition of the replies topic this replica reads, taken in turn; nil before the group
    /// assigned any.
    func replyPartition() -> Int32? {
        let partitions = consumer.assignment.filter { $0.topic == topic }.map(\.partition).sorted()
        guard !partitions.isEmpty else { return nil }
        let turn = nextPartition.wrappingAdd(1, ordering: .relaxed).oldValue
        return partitions[(turn & Int.max) % partitions.count]
    }

    func run() async throws {
        try consumer.subscribe(topics: [topic])
        var assigned = false
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    let messages = try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
                    for message in messages { deliver(message) }
                    if !messages.isEmpty { try consumer.storeOffsets(for: messages) }
                } catch {
                    logger.warning("polling replies failed", metadata: ["error": "\(error)"])
                }
                let count = consumer.assignment.count
                if (count > 0) != assigned {
                    assigned = count > 0
                    health.update(Self.healthCheck, ok: assigned,
                                  detail: assigned ? "\(count) partitions of \(topic)" : "no partition of \(topic) assigned")
                }
            }
        } onGracefulShutdown: {}
        await consumer.close()
    }

    private func deliver(_ message: KafkaConsumerMessage) {
        guard let correlation = message.headerBytes(named: ReplyHeader.correlationId), correlation.count == 16,
              let type = message.headerString(named: CloudEventHeader.type) else {
            logger.debug("reply without a usable correlation id or type", metadata: ["kafka.offset": "\(message.offset)"])
            return
        }
        let id = correlation.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        pending.deliver(id, PendingReplies.Reply(type: type, body: message.value ?? []))
    }
}
