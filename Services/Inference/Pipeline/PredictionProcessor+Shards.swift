import IntelliCoreKafka

extension PredictionProcessor {
    /// Processes a consumed batch, split over up to `workers` concurrent shards by record key so
    /// that one entity's requests stay in one shard, in order. Small batches stay whole: a shard
    /// costs a task and a cache round trip of its own.
    func process(_ messages: [KafkaConsumerMessage], workers: Int) async -> Output {
        metrics.recordBatch(size: messages.count)
        guard workers > 1, messages.count >= 2 * Self.minimumShard else { return await process(messages, positions: messages.indices) }
        let shards = Self.shards(of: messages, count: min(workers, messages.count / Self.minimumShard))
        let outputs = await withTaskGroup(of: (Int, Output).self) { group in
            for (index, shard) in shards.enumerated() where !shard.isEmpty {
                group.addTask { (index, await self.process(messages, positions: shard)) }
            }
            var outputs = [Output?](repeating: nil, count: shards.count)
            for await (index, output) in group { outputs[index] = output }
            return outputs
        }
        var merged = Output()
        merged.results.reserveCapacity(messages.count)
        for output in outputs.compactMap({ $0 }) {
            merged.results.append(contentsOf: output.results)
            merged.deadLetters.append(contentsOf: output.deadLetters)
            merged.skipped += output.skipped
        }
        return merged
    }

    static let minimumShard = 64

    /// Splits the batch's positions by a hash of the record key (records without one go round
    /// robin). Positions, not copies: a copied record costs a retain and release per field.
    static func shards(of messages: [KafkaConsumerMessage], count: Int) -> [[Int]] {
        var shards = [[Int]](repeating: [], count: count)
        for index in shards.indices { shards[index].reserveCapacity(messages.count / count + messages.count / (4 * count)) }
        for position in messages.indices {
            let shard = messages[position].key.map { min(count - 1, Int(TrafficRouter.fraction(of: $0) * Double(count))) } ?? position % count
            shards[shard].append(position)
        }
        return shards
    }
}
