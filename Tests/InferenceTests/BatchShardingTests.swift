@testable import Inference
import IntelliCoreKafka
import Testing

@Suite struct BatchShardingTests {
    static func batch(_ count: Int, keys: Int) -> [KafkaConsumerMessage] {
        (0..<count).map { offset in
            KafkaConsumerMessage(topic: "requests", partition: 0, offset: Int64(offset),
                                 key: offset % 7 == 0 ? nil : Array("entity-\(offset % keys)".utf8), value: [])
        }
    }

    @Test func everyRecordLandsInExactlyOneShardInItsOrder() {
        let messages = Self.batch(1000, keys: 37)
        let shards = PredictionProcessor.shards(of: messages, count: 3)
        #expect(shards.count == 3)
        #expect(shards.map(\.count).reduce(0, +) == messages.count)
        #expect(Set(shards.flatMap { $0 }) == Set(messages.indices))
        for shard in shards {
            #expect(shard == shard.sorted(), "a shard keeps the batch's order")
            #expect(shard.count > 200, "keys spread over the shards (\(shard.count) of 1000)")
        }
    }

    @Test func oneKeyAlwaysGoesToOneShard() {
        let messages = Self.batch(1000, keys: 37)
        let shards = PredictionProcessor.shards(of: messages, count: 2)
        var home: [[UInt8]: Int] = [:]
        for (index, shard) in shards.enumerated() {
            for position in shard {
                guard let key = messages[position].key else { continue }
                #expect(home[key, default: index] == index, "key \(String(decoding: key, as: UTF8.self)) split over shards")
                home[key] = index
            }
        }
        // The same assignment in a later batch: an entity's requests never race each other.
        let later = Self.batch(500, keys: 37)
        for (index, shard) in PredictionProcessor.shards(of: later, count: 2).enumerated() {
            for position in shard { if let key = later[position].key, let first = home[key] { #expect(first == index) } }
        }
    }
}
