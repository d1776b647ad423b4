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
    /// The partitions this consumer owns, per group: 0 for long is a stalled rebalance or an idle member.
    private let owned: Gauge?
    private let watch: Mutex<AssignmentWatch>
    /// nil outside a group (partitions assigned by hand): nothing to watch.
    private let group: String?

    init(logger: Logger, positioner: KafkaConsumer.AssignmentPositioner?, group: String?) {
        self.logger = logger
        self.positioner = positioner
        self.group = group
        owned = group.map { Gauge(label: "intellicore_kafka_assigned_partitions", dimensions: [("group", $0)]) }
        watch = Mutex(AssignmentWatch(patience: KafkaConsumer.assignmentPatience))
    }

    /// On subscribing (which starts the watch) and after each poll: logs once when a group member
    /// has owned nothing for longer than the watch's patience, and again when it owns partitions.
    func observe() {
        guard let group else { return }
        let assigned = !assigned.withLock { $0.isEmpty }
        switch watch.withLock({ $0.observe(assigned: assigned, at: .now) }) {
        case .quiet:
            break
        case .unassigned(let duration):
            logger.warning("""
                no partitions assigned for \(duration.components.seconds) s: the group has more members than partitions, \
                or its rebalance does not complete (see "Restart an instance before starting its replacement" in docs/operations.md)
                """, metadata: ["kafka.group": "\(group)"])
        case .assigned(let duration):
            logger.info("partitions assigned after \(duration.components.seconds) s without any", metadata: ["kafka.group": "\(group)"])
        }
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
            owned?.record(assigned.withLock { $0.formUnion(changed); return $0.count })
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
            owned?.record(assigned.withLock { $0.subtract(changed); return $0.count })
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(changed.map(\.description).sorted())"])
        default:
            logger.error("rebalance error", metadata: ["error": "\(error.message)"])
            rd_kafka_assign(client, nil)
            assigned.withLock { $0.removeAll() }
            owned?.record(0)
        }
    }
}

let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    client, error, partitions, opaque in
    guard let client, let partitions, let opaque else { return }
    Unmanaged<ConsumerGroupState>.fromOpaque(opaque).takeUnretainedValue()
        .handle(client: client, error: error, partitions: partitions)
}
