import CRDKafka
import Logging
import Metrics
import Synchronization

/// Handles rebalances for one consumer and remembers its assignment.
///
/// librdkafka calls `rebalanceCallback` on the thread that polls, which is the consumer's
/// dedicated thread. On revoke, stored offsets are committed synchronously before the partitions
/// are given up, so the next owner starts after the last processed record.
///
/// With a `positioner`, newly assigned partitions start where it says (a consumer that keeps
/// its offsets in its own database, in the transaction of its effects); a partition it returns
/// with `KafkaOffset.stored` falls back to the group's committed offset.
final class ConsumerGroupState: Sendable {
    private let assigned = Mutex<Set<KafkaTopicPartition>>([])
    private let logger: Logger
    private let positioner: KafkaConsumer.AssignmentPositioner?
    private let rebalances = Counter(label: "intellicore_kafka_rebalances_total")

    init(logger: Logger, positioner: KafkaConsumer.AssignmentPositioner?) {
        self.logger = logger
        self.positioner = positioner
    }

    var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }

    func setAssignment(_ partitions: [KafkaTopicPartition]) {
        assigned.withLock { $0 = Set(partitions.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }) }
    }

    func handle(client: OpaquePointer, error: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        rebalances.increment()
        let cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
        let changed = TopicPartitionList.read(partitions).map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            var list = partitions
            var positioned: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            if let positioner {
                let starts = positioner(changed)
                positioned = TopicPartitionList.make(starts)
                list = positioned!
                logger.info("partitions positioned from stored offsets", metadata: ["kafka.offsets": "\(starts.map { "\($0)@\($0.offset)" }.sorted())"])
            }
            defer { positioned.map { rd_kafka_topic_partition_list_destroy($0) } }
            if cooperative {
                if let failure = rd_kafka_incremental_assign(client, list) {
                    logger.error("incremental assign failed", metadata: ["error": "\(KafkaError(.subscription, consuming: failure, context: "assign"))"])
                }
            } else {
                rd_kafka_assign(client, list)
            }
            assigned.withLock { $0.formUnion(changed) }
            logger.info("partitions assigned", metadata: ["kafka.partitions": "\(changed.map(\.description).sorted())"])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            if rd_kafka_assignment_lost(client) == 0 {
                let commit = rd_kafka_commit(client, nil, 0)
                if commit != RD_KAFKA_RESP_ERR_NO_ERROR && commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("commit on revoke failed", metadata: ["error": "\(commit.message)"])
                }
            } else {
                logger.warning("assignment lost; not committing", metadata: ["kafka.partitions": "\(changed.map(\.description))"])
            }
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(client, partitions) {
                    logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(.subscription, consuming: failure, context: "unassign"))"])
                }
            } else {
                rd_kafka_assign(client, nil)
            }
            assigned.withLock { $0.subtract(changed) }
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(changed.map(\.description).sorted())"])
        default:
            logger.error("rebalance error", metadata: ["error": "\(error.message)"])
            rd_kafka_assign(client, nil)
            assigned.withLock { $0.removeAll() }
        }
    }
}

let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    client, error, partitions, opaque in
    guard let client, let partitions, let opaque else { return }
    Unmanaged<ConsumerGroupState>.fromOpaque(opaque).takeUnretainedValue()
        .handle(client: client, error: error, partitions: partitions)
}
