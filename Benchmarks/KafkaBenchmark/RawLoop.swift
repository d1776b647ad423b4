import BenchmarkSupport
import CRDKafka
import Foundation

/// The same work as a C program would do it: librdkafka calls in a tight loop, no Swift client.
enum RawLoop {
    static func make(_ type: rd_kafka_type_t, _ properties: [String: String]) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()
        var error = [CChar](repeating: 0, count: 512)
        for (name, value) in properties where rd_kafka_conf_set(conf, name, value, &error, 512) != RD_KAFKA_CONF_OK {
            throw BenchmarkError.client(name)
        }
        guard let client = rd_kafka_new(type, conf, &error, 512) else { throw BenchmarkError.client("rd_kafka_new") }
        return client
    }

    static func produce(bootstrap: String, topic: String, count: Int, payload: [UInt8]) throws -> Double {
        let client = try make(RD_KAFKA_PRODUCER, [
            "bootstrap.servers": bootstrap, "enable.idempotence": "true", "linger.ms": "5",
            "queue.buffering.max.messages": "500000", "queue.buffering.max.kbytes": "1048576", "batch.num.messages": "10000",
        ])
        defer { rd_kafka_destroy(client) }
        let rkt = rd_kafka_topic_new(client, topic, nil)
        defer { rd_kafka_topic_destroy(rkt) }
        // Warm-up message, as for the Swift client.
        _ = payload.withUnsafeBytes { rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count, nil, 0, nil) }
        rd_kafka_flush(client, 10_000)
        let start = ContinuousClock.now
        var keyBuffer = [UInt8](repeating: 0, count: 8)
        payload.withUnsafeBytes { value in
            for i in 1..<count {
                let key = String(i % 1024).utf8
                let keyLength = key.count
                keyBuffer.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
                    _ = buffer.copyBytes(from: key)
                    while rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: value.baseAddress),
                                           value.count, buffer.baseAddress, keyLength, nil) != 0 {
                        rd_kafka_poll(client, 1)
                    }
                }
                rd_kafka_poll(client, 0)
            }
        }
        rd_kafka_flush(client, 60_000)
        return Double(count - 1) / elapsedSeconds(since: start)
    }

    static func consume(bootstrap: String, topic: String, partitions: Int, count: Int) throws -> Double {
        let client = try make(RD_KAFKA_CONSUMER, ["bootstrap.servers": bootstrap, "enable.auto.commit": "false", "group.id": "bench-raw-\(topic)",
                                                  "enable.partition.eof": "false"])
        defer { rd_kafka_destroy(client) }
        rd_kafka_poll_set_consumer(client)
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))
        for partition in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, Int32(partition)).pointee.offset = -2
        }
        rd_kafka_assign(client, list)
        rd_kafka_topic_partition_list_destroy(list)
        var received = 0
        var bytes = 0
        var start = ContinuousClock.now
        while received < count {
            guard let message = rd_kafka_consumer_poll(client, 10_000) else { throw BenchmarkError.stalled(received) }
            if message.pointee.err.rawValue == 0 {
                if received == 0 { start = ContinuousClock.now }
                received += 1
                bytes &+= message.pointee.len
            }
            rd_kafka_message_destroy(message)
        }
        rd_kafka_consumer_close(client)
        precondition(bytes > 0)
        return Double(received - 1) / elapsedSeconds(since: start)
    }
}
