import IntelliCoreKafka

extension PredictionProcessor {
    /// Processes a consumed batch, split over up to `workers` concurrent shards by record key so
    /// that one entity's requests stay in one shard, in order. Small batches stay whole: a shard
    /// costs a task and a cache round trip of its own.
    func process<Records: ConsumedRecords>(_ records: Records, workers: Int) async -> Output {
        metrics.recordBatch(size: records.count)
        guard workers > 1, records.count >= 2 * Self.minimumShard else { return await process(records, positions: 0..<records.count) }
        let shards = Self.shards(of: records, count: min(workers, records.count / Self.minimumShard))
        var outputs = await withTaskGroup(of: (Int, Output).self) { group in
            for (index, shard) in shards.enumerated() where !shard.isEmpty {
                group.addTask { (index, await self.process(records, positions: shard)) }
            }
            var outputs = [Output?](repeating: nil, count: shards.count)
            for await (index, output) in group { outputs[index] = output }
            return outputs
        }
        // The first shard's output becomes the merged one (moved out, so that appending to it
        // does not copy it first); the others are appended in shard order.
        var merged: Output?
        for index in outputs.indices {
            guard let output = outputs[index] else { continue }
            outputs[index] = nil
            guard merged != nil else { merged = output; continue }
            merged!.answers.append(contentsOf: output.answers)
            merged!.deadLetters.append(contentsOf: output.deadLetters)
            merged!.skipped += output.skipped
        }
        return merged ?? Output()
    }

    static let minimumShard = 64

    /// Splits the batch's positions by a hash of the record key (records without one go round
    /// robin). Positions, not copies: a copied record costs a retain and release per field.
    static func shards<Records: ConsumedRecords>(of records: Records, count: Int) -> [[Int]] {
        var shards = [[Int]](repeating: [], count: count)
        for index in shards.indices { shards[index].reserveCapacity(records.count / count + records.count / (4 * count)) }
        for position in 0..<records.count {
            let fraction = records.withKey(at: position) { key in key.map { TrafficRouter.fraction(of: $0) } }
            let shard = fraction.map { min(count - 1, Int($0 * Double(count))) } ?? position % count
            shards[shard].append(position)
        }
        return shards
    }
}
