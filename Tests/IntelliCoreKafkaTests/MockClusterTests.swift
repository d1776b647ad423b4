import Foundation
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import Logging
import Testing

/// Client logic against librdkafka's in-process mock cluster: no broker needed.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MockClusterTests {
    let logger = Logger(label: "test")

    /// Polls until `count` records arrived or `within` passed. A consumer that joins a group just
    /// left by another can wait ~30 s for its assignment on a loaded machine (seen once in a full
    /// run), so the deadline is generous: polling ends as soon as the records are there.
    func drain(_ consumer: KafkaConsumer, count: Int, within: Duration = .seconds(90)) async throws -> [KafkaConsumerMessage] {
        var received: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + within
        while received.count < count && ContinuousClock.now < deadline {
            received += try await consumer.poll(maxMessages: 100, timeout: .milliseconds(200))
        }
        return received
    }

    /// `enqueue` hands records over in call order; acknowledgements can be awaited in any order,
    /// or not at all (the delivery keeps itself alive until its last report).
    @Test func enqueuedBatchesKeepCallOrderWhicheverIsAwaitedFirst() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("enqueue", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        func batch(_ range: Range<Int>) -> [KafkaProducerMessage] {
            range.map { KafkaProducerMessage(topic: "enqueue", key: "entity", value: Array("\($0)".utf8)) }
        }
        let first = try await producer.enqueue(batch(0..<500))
        let dropped = try await producer.enqueue(batch(500..<600))
        let second = try await producer.enqueue(batch(600..<1000))
        #expect(first.count == 500 && dropped.count == 100 && second.count == 400)
        let secondOffsets = try await second.results().map { try $0.get().offset }
        let firstOffsets = try await first.results().map { try $0.get().offset }
        #expect(firstOffsets == (0..<500).map(Int64.init))
        #expect(secondOffsets == (600..<1000).map(Int64.init))
        try await producer.flush()
        let empty = try await producer.enqueue([])
        #expect(await empty.results().isEmpty)
        await producer.shutdown()
    }

    @Test func roundTripKeepsKeysValuesHeadersAndNulls() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("roundtrip", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let messages = [
            KafkaProducerMessage(topic: "roundtrip", key: "k1", value: Array("v1".utf8),
                                 headers: [KafkaHeader(name: "h", string: "x"), KafkaHeader(name: "empty", value: nil)]),
            KafkaProducerMessage(topic: "roundtrip", key: nil, value: nil),
            KafkaProducerMessage(topic: "roundtrip", key: "k3", value: []),
        ]
        let results = try await producer.send(messages)
        let reports = try results.map { try $0.get() }
        #expect(reports.map(\.offset) == [0, 1, 2])
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        try consumer.assign([KafkaTopicPartition(topic: "roundtrip", partition: 0, offset: KafkaOffset.beginning)])
        let received = try await drain(consumer, count: 3)
        #expect(received.count == 3)
        #expect(received[0].keyString == "k1")
        #expect(received[0].headers.string(named: "h") == "x")
        #expect(received[0].headers.contains(KafkaHeader(name: "empty", value: nil)))
        #expect(received[1].key == nil && received[1].value == nil)
        #expect(received[2].value == nil || received[2].value == [])
        await consumer.close()
        await producer.shutdown()
    }

    /// `pollBatch` reads the records in place: the same keys, values, headers, timestamps and
    /// offsets as the copying `poll`, across two topics, and `copied()` gives the copy.
    /// A producer batch written into one arena lands exactly what the same records as
    /// `KafkaProducerMessage`s would: keys, values, headers (repeated and valueless), partitions,
    /// repeated records, merged batches, and a chosen subset resent.
    @Test func producerBatchesProduceWhatMessagesDo() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("arena-a", partitions: 2)
        try cluster.createTopic("arena-b", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        func build(_ range: Range<Int>) -> KafkaProducerBatch {
            var batch = KafkaProducerBatch(records: range.count, bytesPerRecord: 32, headersPerRecord: 3)
            for index in range {
                batch.beginRecord(topic: "arena-a", partition: Int32(index % 2))
                if index % 7 != 0 { batch.setKey(Array("k\(index)".utf8)) }
                if index % 11 != 0 { batch.writeValue { $0.append(contentsOf: "value \(index)".utf8) } }
                batch.addHeader(name: "ce_id", value: "id-\(index)")
                batch.addHeader(name: "empty", value: [])
                batch.addHeader(name: "ce_id") { $0.append(contentsOf: "last-".utf8); $0.append(contentsOf: "\(index)".utf8) }
                if index % 5 == 0 { batch.appendCopy(of: batch.count - 1, topic: "arena-b", partition: 0, extraHeader: ("corr", [1, 2, 3])) }
            }
            return batch
        }
        var batch = build(0..<100)
        batch.append(contentsOf: build(100..<150))
        let expected = batch.messages
        try #require(expected.count == 150 + 30)
        // Every record once, then the records at three positions a second time.
        for result in try await producer.enqueue(batch).results() { _ = try result.get() }
        let resent = try await producer.enqueue(batch, positions: [3, 0, 179]).results()
        #expect(try resent.map { try $0.get().topic } == [expected[3].topic, expected[0].topic, expected[179].topic])
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        try consumer.assign([KafkaTopicPartition(topic: "arena-a", partition: 0, offset: KafkaOffset.beginning),
                             KafkaTopicPartition(topic: "arena-a", partition: 1, offset: KafkaOffset.beginning),
                             KafkaTopicPartition(topic: "arena-b", partition: 0, offset: KafkaOffset.beginning)])
        let received = try await drain(consumer, count: expected.count + 3)
        await consumer.close()
        try #require(received.count == expected.count + 3)
        func identity(_ topic: String, _ partition: Int32?, _ key: [UInt8]?, _ value: [UInt8]?, _ headers: [KafkaHeader]) -> String {
            "\(topic)/\(partition.map(String.init) ?? "?")/\(key ?? [])/\(value.map { String(decoding: $0, as: UTF8.self) } ?? "nil")/"
                + headers.map { "\($0.name)=\($0.value ?? [])" }.joined(separator: ",")
        }
        var wanted = expected.map { identity($0.topic, $0.partition, $0.key, $0.value, $0.headers) }
        wanted += [3, 0, 179].map { wanted[$0] }
        let got = received.map { identity($0.topic, $0.partition, $0.key, $0.value, $0.headers) }
        #expect(got.sorted() == wanted.sorted())
        // Record 0, its copy on arena-b, then record 1.
        #expect(expected[2].headers.map(\.name) == ["ce_id", "empty", "ce_id"] && expected[2].headers.last?.value == Array("last-1".utf8))
        #expect(expected[1].topic == "arena-b" && expected[1].headers.map(\.name) == ["ce_id", "empty", "ce_id", "corr"]
                && expected[1].value == expected[0].value && expected[1].key == expected[0].key)
        await producer.shutdown()
    }

    /// Headers as requests carry them, and some that need multi-byte lengths on the wire: a
    /// 300-byte value on every fifth record, 70 more headers on every thirteenth.
    @Test func recordBatchesReadInPlaceWhatPollCopies() async throws {
        func headers(_ index: Int) -> [KafkaHeader] {
            var headers = [KafkaHeader(name: "ce_id", string: "id-\(index)"), KafkaHeader(name: "empty", value: nil)]
            if index % 5 == 0 { headers.append(KafkaHeader(name: "long", value: [UInt8](repeating: UInt8(index % 256), count: 300))) }
            if index % 13 == 0 { headers += (0..<70).map { KafkaHeader(name: "extra-\($0)", string: "\($0 * index)") } }
            return headers + [KafkaHeader(name: "ce_id", string: "last-\(index)")]
        }
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("views-a", partitions: 2)
        try cluster.createTopic("views-b", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        var sent: [KafkaProducerMessage] = []
        for index in 0..<300 {
            let topic = index % 3 == 0 ? "views-b" : "views-a"
            sent.append(KafkaProducerMessage(topic: topic, partition: topic == "views-a" ? Int32(index % 2) : 0, key: index % 7 == 0 ? nil : Array("k\(index)".utf8),
                                             value: index % 11 == 0 ? nil : Array("value \(index)".utf8),
                                             headers: headers(index)))
        }
        let sentById = Dictionary(uniqueKeysWithValues: sent.map { ($0.headers.last { $0.name == "ce_id" }?.value ?? [], $0) })
        for result in try await producer.send(sent) { _ = try result.get() }
        let partitions = [KafkaTopicPartition(topic: "views-a", partition: 0, offset: KafkaOffset.beginning),
                          KafkaTopicPartition(topic: "views-a", partition: 1, offset: KafkaOffset.beginning),
                          KafkaTopicPartition(topic: "views-b", partition: 0, offset: KafkaOffset.beginning)]
        let copying = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        try copying.assign(partitions)
        let copies = try await drain(copying, count: sent.count)
        await copying.close()
        let viewing = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        try viewing.assign(partitions)
        var seen: [String: KafkaConsumerMessage] = [:]
        var inPlaceHeaders: [String: [KafkaHeader]] = [:]
        var highest: [KafkaTopicPartition: Int64] = [:]
        let deadline = ContinuousClock.now + .seconds(30)
        while seen.count < sent.count && ContinuousClock.now < deadline {
            let batch = try await viewing.pollBatch(maxMessages: 64, timeout: .milliseconds(200))
            for record in batch {
                let last = record.header(named: "ce_id").map { String(decoding: $0, as: UTF8.self) } ?? ""
                #expect(record.header(named: "empty")?.count == 0 && record.hasHeader(named: "empty") && !record.hasHeader(named: "absent"))
                #expect(record.header(named: "ce_id", hasPrefix: "last-"))
                seen[last] = record.copied()
                var inPlace: [KafkaHeader] = []
                #expect(record.headers.forEach { name, value in
                    inPlace.append(KafkaHeader(name: String(decoding: name, as: UTF8.self), value: value.map { Array($0) }))
                }, "the Headers field read in place is well formed")
                inPlaceHeaders[last] = inPlace
                record.headers.withIndex { index in
                    #expect(index.count == inPlace.count, "the index holds every header of the record")
                    for name in Set(inPlace.map(\.name)) + ["absent"] {
                        #expect(index.last(named: name).map { Array($0) } == record.header(named: name).map { Array($0) }, "\(name)")
                    }
                }
                let copy = record.copied()
                #expect(copy.key == record.key.map(Array.init) && copy.value == record.value.map(Array.init)
                        && copy.timestampMilliseconds == record.timestampMilliseconds && copy.offset == record.offset && copy.topic == record.topic)
            }
            for next in batch.nextOffsets { highest[KafkaTopicPartition(topic: next.topic, partition: next.partition)] = next.offset }
        }
        await viewing.close()
        try #require(copies.count == sent.count && seen.count == sent.count, "copied \(copies.count), viewed \(seen.count) of \(sent.count)")
        for copy in copies {
            let viewed = try #require(seen[copy.headerString(named: "ce_id") ?? ""])
            let original = try #require(sentById[copy.header(named: "ce_id") ?? []])
            #expect(copy.headers == original.headers, "headers as produced, in order, valueless ones included")
            #expect(inPlaceHeaders[copy.headerString(named: "ce_id") ?? ""] == original.headers, "read in place, the same headers")
            #expect(viewed.key == copy.key && viewed.value == copy.value && viewed.headers == copy.headers && viewed.topic == copy.topic
                    && viewed.partition == copy.partition && viewed.offset == copy.offset)
        }
        #expect(highest == [KafkaTopicPartition(topic: "views-a", partition: 0): 100, KafkaTopicPartition(topic: "views-a", partition: 1): 100,
                            KafkaTopicPartition(topic: "views-b", partition: 0): 100])
        await producer.shutdown()
    }

    @Test func deliveryToMissingPartitionFailsWithTypedError() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("small", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers,
                                                              properties: ["message.timeout.ms": "2000"]), logger: logger)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaProducerMessage(topic: "small", partition: 7, key: nil, value: [1]))
        }
        #expect(error?.code == .delivery || error?.code == .produce)
        await producer.shutdown()
    }

    @Test func storedOffsetsAreCommittedAndResumed() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("offsets", partitions: 2)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        _ = try await producer.send((0..<20).map { KafkaProducerMessage(topic: "offsets", key: "key\($0)", value: [UInt8($0)]) })
        let configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupId: "g-offsets")
        let first = try KafkaConsumer(configuration: configuration, logger: logger)
        try first.subscribe(topics: ["offsets"])
        let all = try await drain(first, count: 20)
        #expect(all.count == 20)
        // Mark only half of them processed, then leave: the rest must be delivered again.
        let processed = Array(all.prefix(10))
        try first.storeOffsets(for: processed)
        await first.close()

        let second = try KafkaConsumer(configuration: configuration, logger: logger)
        try second.subscribe(topics: ["offsets"])
        let again = try await drain(second, count: 10)
        let expected = Set(all.dropFirst(10).map { "\($0.partition):\($0.offset)" })
        let redelivered = Set(again.map { "\($0.partition):\($0.offset)" })
        #expect(expected.isSubset(of: redelivered))
        #expect(redelivered.isDisjoint(with: Set(processed.map { "\($0.partition):\($0.offset)" })) || again.count > 10)
        await second.close()
        await producer.shutdown()
    }

    @Test func pausedPartitionsDeliverNothingUntilResumed() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("paused", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        let partition = KafkaTopicPartition(topic: "paused", partition: 0, offset: KafkaOffset.beginning)
        try consumer.assign([partition])
        try consumer.pause([partition])
        try await producer.send(KafkaProducerMessage(topic: "paused", key: nil, value: [1]))
        #expect(try await consumer.poll(timeout: .milliseconds(500)).isEmpty)
        try consumer.resume([partition])
        #expect(try await drain(consumer, count: 1).count == 1)
        await consumer.close()
        await producer.shutdown()
    }

    @Test func cloudEventTravelsInBinaryMode() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("events", partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let event = try CloudEvent(TenantCreated(tenantId: "t1", name: "Acme", plan: "pro"), source: "/intellicore/test",
                                   subject: "t1", tenantId: "t1")
        try await producer.send(KafkaProducerMessage(event: event, topic: "events", key: "t1"))
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: cluster.bootstrapServers, groupId: nil), logger: logger)
        try consumer.assign([KafkaTopicPartition(topic: "events", partition: 0, offset: KafkaOffset.beginning)])
        let message = try #require(try await drain(consumer, count: 1).first)
        let decoded = try message.cloudEvent()
        #expect(decoded.id == event.id)
        #expect(try decoded.decode(as: TenantCreated.self).name == "Acme")
        await consumer.close()
        await producer.shutdown()
    }

    @Test func badConfigurationIsAClearError() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaProducer(configuration: .init(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"]), logger: logger)
        }
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("no.such.property") == true)
    }

    @Test func linkedLibrdkafkaIsRecentEnough() throws {
        try KafkaClientVersion.check()
        #expect(!KafkaClientVersion.linked.hasPrefix("2.0"))
    }
}
