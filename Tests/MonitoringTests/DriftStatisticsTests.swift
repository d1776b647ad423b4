import Foundation
@testable import Monitoring
import IntelliCoreEvents
import IntelliCoreModels
import Testing

/// PSI, KS and the Jensen–Shannon distance against values computed by hand.
@Suite struct DriftStatisticsTests {
    static func close(_ value: Double, _ expected: Double, within tolerance: Double = 1e-4) -> Bool {
        abs(value - expected) <= tolerance
    }

    @Test func psiOfTwoBuckets() {
        // (0.5 − 0.25)·ln(0.5/0.25) + (0.5 − 0.75)·ln(0.5/0.75) = 0.17329 + 0.10137
        let psi = DriftStatistics.psi(live: [0.5, 0.5], baseline: [0.25, 0.75])
        #expect(Self.close(psi, 0.274653), "\(psi)")
        #expect(DriftStatistics.psi(live: [0.1, 0.2, 0.7], baseline: [0.1, 0.2, 0.7]) == 0)
    }

    @Test func psiFloorsEmptyBuckets() {
        // An empty live bucket is floored at 1e-4: (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5)
        let expected = (1e-4 - 0.5) * log(1e-4 / 0.5) + 0.5 * log(2.0)
        #expect(Self.close(DriftStatistics.psi(live: [0, 1], baseline: [0.5, 0.5]), expected))
    }

    @Test func ksIsTheLargestGapOfTheCumulativeDistributions() {
        #expect(Self.close(DriftStatistics.ks(live: [0.5, 0.5], baseline: [0.25, 0.75]), 0.25))
        // Cumulative: 0.1|0.4 → 0.3, 0.3|0.8 → 0.5, 1|1 → 0
        #expect(Self.close(DriftStatistics.ks(live: [0.1, 0.2, 0.7], baseline: [0.4, 0.4, 0.2]), 0.5))
    }

    @Test func jensenShannonDistanceInBits() {
        #expect(Self.close(DriftStatistics.jsDistance(live: [1, 0], baseline: [0, 1]), 1))
        #expect(DriftStatistics.jsDistance(live: [0.3, 0.7], baseline: [0.3, 0.7]) == 0)
        // m = (0.75, 0.25): KL(p‖m) = 0.5·log2(2/3) + 0.5·log2(2) = 0.207519, KL(q‖m) = log2(4/3) = 0.415037;
        // JSD = (0.207519 + 0.415037) / 2 = 0.311278, distance = √JSD = 0.557923
        #expect(Self.close(DriftStatistics.jsDistance(live: [0.5, 0.5], baseline: [1, 0]), 0.557923))
    }

    @Test func bucketsMatchTheTrainingBaseline() {
        let edges = [1.0, 2.0, 3.0]
        #expect([0.5, 1.0, 1.5, 2.0, 2.9, 3.0, 99].map { FeatureBaseline.bucket(of: $0, edges: edges) } == [0, 1, 1, 2, 2, 3, 3])
    }

    /// A tracker fed inputs drawn from the baseline finds no drift; shifting one numeric feature
    /// and one categorical feature names exactly those two.
    @Test func trackerNamesOnlyTheDriftedFeatures() throws {
        let schema = InputSchema(tensorName: "input", features: [
            FeatureSpec(name: "tenure", preprocessing: .standardize(mean: 0, standardDeviation: 1)),
            FeatureSpec(name: "spend", preprocessing: .standardize(mean: 0, standardDeviation: 1)),
            FeatureSpec(name: "plan", preprocessing: .oneHot(categories: ["free", "pro", "team"])),
        ])
        let uniform = FeatureBaseline(feature: "tenure", bucketEdges: [0.25, 0.5, 0.75], bucketFractions: [0.25, 0.25, 0.25, 0.25])
        let baseline = VersionBaseline(schema: schema, baseline: [
            uniform, FeatureBaseline(feature: "spend", bucketEdges: [0.25, 0.5, 0.75], bucketFractions: [0.25, 0.25, 0.25, 0.25]),
            FeatureBaseline(feature: "plan", bucketEdges: [0.5, 1.5], bucketFractions: [0.5, 0.3, 0.2]),
        ])
        var generator = SystemRandomNumberGenerator()
        func plan(_ shares: [Double]) -> Float {
            let draw = Double.random(in: 0..<1, using: &generator)
            return draw < shares[0] ? 0 : draw < shares[0] + shares[1] ? 1 : 2
        }
        var steady = DriftTracker(baseline: baseline, windowSeconds: 60)
        var drifted = DriftTracker(baseline: baseline, windowSeconds: 60)
        for _ in 0..<4000 {
            steady.add(rows: 1, values: [Float.random(in: 0..<1), Float.random(in: 0..<1), plan([0.5, 0.3, 0.2])], at: 1000)
            drifted.add(rows: 1, values: [Float.random(in: 0.5..<1.5), Float.random(in: 0..<1), plan([0.1, 0.2, 0.7])], at: 1000)
        }
        let quiet = steady.report(now: 1005, thresholds: .standard)
        #expect(quiet.rows == 4000 && quiet.scores.allSatisfy { !$0.drifted }, "\(quiet.scores)")
        let report = drifted.report(now: 1005, thresholds: .standard)
        #expect(report.scores.filter(\.drifted).map(\.feature) == ["tenure", "plan"], "\(report.scores)")
        #expect(report.datasetDrift && Self.close(report.driftedShare, 2.0 / 3.0))
        let tenure = try #require(report.scores.first)
        #expect(tenure.ks != nil && tenure.js == nil)
        #expect(try #require(report.scores.last).js != nil)
        // A per-feature override quiets one: the share falls to 1/3, under the default 0.5.
        let lenient = DriftThresholds(features: ["tenure": .init(psi: 100, ks: 1)])
        let partial = drifted.report(now: 1005, thresholds: lenient)
        #expect(partial.scores.filter(\.drifted).map(\.feature) == ["plan"] && !partial.datasetDrift)
        // Outside the window nothing is left.
        #expect(drifted.report(now: 1000 + 120, thresholds: .standard).rows == 0)
    }
}
