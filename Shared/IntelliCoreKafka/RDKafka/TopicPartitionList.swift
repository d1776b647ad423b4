import CRDKafka

/// Builds and reads `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    /// A new list the caller must free with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ partitions: some Collection<KafkaTopicPartition>) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(partitions.count, 1)))!
        for partition in partitions {
            let entry = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            entry.pointee.offset = partition.offset
        }
        return list
    }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [KafkaTopicPartition] {
        (0..<Int(list.pointee.cnt)).map { index in
            let entry = list.pointee.elems[index]
            return KafkaTopicPartition(topic: String(cString: entry.topic), partition: entry.partition, offset: entry.offset)
        }
    }
}
