import CRDKafka

/// librdkafka's admin API and metadata on one handle; `KafkaAdmin` runs these on its thread.
extension RDKafkaClient {
    /// Creates the topics; ones that already exist are left as they are. Blocking.
    func createTopics(_ topics: [KafkaTopicSpec], timeoutMilliseconds milliseconds: Int32) throws {
        let client = self
        var errorText = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, Int32(topic.partitions), Int32(topic.replicationFactor),
                                                       &errorText, errorText.count) else {
                throw KafkaError(.admin, "topic \(topic.name): \(String(cBuffer: errorText))")
            }
            newTopics.append(newTopic)
        }
        let resultQueue = rd_kafka_queue_new(client.pointer)
        defer { rd_kafka_queue_destroy(resultQueue) }
        let options = rd_kafka_AdminOptions_new(client.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorText, errorText.count)
        rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorText, errorText.count)
        newTopics.withUnsafeMutableBufferPointer {
            rd_kafka_CreateTopics(client.pointer, $0.baseAddress, $0.count, options, resultQueue)
        }
        guard let event = rd_kafka_queue_poll(resultQueue, milliseconds + 5000) else {
            throw KafkaError(.timeout, "creating topics timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(.admin, error, context: "CreateTopics") }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(.admin, "CreateTopics returned no result")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let topicResult = results[index]
            let code = rd_kafka_topic_result_error(topicResult)
            if code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let detail = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? code.message
            throw KafkaError(.admin, "creating topic \(name): \(detail)", librdkafkaCode: code.rawValue)
        }
    }

    /// Topic names and their partition counts, as the cluster reports them. Blocking.
    func topicPartitionCounts(timeoutMilliseconds milliseconds: Int32) throws -> [String: Int] {
        let client = self
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(client.pointer, 1, nil, &metadata, milliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(.admin, error, context: "metadata")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var topics: [String: Int] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            topics[String(cString: topic.topic)] = Int(topic.partition_cnt)
        }
        return topics
    }
}
