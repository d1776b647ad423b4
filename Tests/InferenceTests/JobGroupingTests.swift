@testable import Inference
import IntelliCoreEvents
import IntelliCoreModels
import Testing

/// `PredictionJob.groups`, which the cache and the compute stage share: every job once, under its
/// version, versions in first-seen order and jobs in batch order, however the versions interleave.
@Suite struct JobGroupingTests {
    static func jobs(_ versions: [ModelVersionKey]) throws -> [PredictionJob] {
        let network = try FeedForwardNetwork(FeedForwardArtifact(
            inputSchema: InputSchema(tensorName: "input", features: [FeatureSpec(name: "x", preprocessing: .none)]),
            layers: [DenseLayerSpec(inputs: 1, outputs: 1, activation: .identity, weights: [1], bias: [0])], outputName: "y"))
        return versions.enumerated().map { index, key in
            PredictionJob(request: index, key: key, shadow: false, network: network, rows: 1, values: index..<(index + 1))
        }
    }

    @Test func interleavedVersionsGroupInFirstSeenOrder() throws {
        let model = ModelKey(tenant: "acme", model: "churn")
        let (a, b, c) = (ModelVersionKey(model, version: 1), ModelVersionKey(model, version: 2),
                         ModelVersionKey(ModelKey(tenant: "other", model: "churn"), version: 1))
        let jobs = try Self.jobs([a, a, b, a, c, b, b, a])
        let all = PredictionJob.groups(jobs, jobs.indices)
        try #require(all.count == 3)
        #expect(all.map(\.key) == [a, b, c])
        #expect(all[0].members == [0, 1, 3, 7] && all[1].members == [2, 5, 6] && all[2].members == [4])

        // A subset (the computed jobs) keeps the same rules.
        let subset = PredictionJob.groups(jobs, [1, 2, 4, 7])
        #expect(subset.map(\.key) == [a, b, c])
        #expect(subset.map(\.members) == [[1, 7], [2], [4]])
        #expect(PredictionJob.groups(jobs, []).isEmpty)
    }
}
