import IntelliCoreLearning
import Testing

/// Metrics against values computed by hand (and as scikit-learn reports them for the same inputs).
@Suite struct EvaluationMetricsTests {
    func expectClose(_ metrics: [String: Double], _ name: String, _ expected: Double, within tolerance: Double,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let value = try #require(metrics[name], "no \(name) in \(metrics)", sourceLocation: sourceLocation)
        #expect(abs(value - expected) < tolerance, "\(name) \(value), expected \(expected)", sourceLocation: sourceLocation)
    }

    @Test func binaryClassification() throws {
        // labels 0 0 1 1, P(class 1) 0.1 0.4 0.35 0.8 → predicted 0 0 0 1
        let p1: [Float] = [0.1, 0.4, 0.35, 0.8]
        let probabilities = p1.flatMap { [1 - $0, $0] }
        let metrics = EvaluationMetrics.classification(probabilities: probabilities, labels: [0, 0, 1, 1], classes: 2)
        try expectClose(metrics, "accuracy", 0.75, within: 1e-9)
        // class 0: 2 of 3 predicted right, both found; class 1: 1 of 1 right, 1 of 2 found
        try expectClose(metrics, "precision", (2.0 / 3 + 1) / 2, within: 1e-9)
        try expectClose(metrics, "recall", 0.75, within: 1e-9)
        try expectClose(metrics, "f1", (0.8 + 2.0 / 3) / 2, within: 1e-9)
        // The classic ROC example: 3 of the 4 positive/negative pairs are ordered right.
        try expectClose(metrics, "roc_auc", 0.75, within: 1e-9)
        let logLoss = -([0.9, 0.6, 0.35, 0.8].map { Foundation.log($0) }.reduce(0, +)) / 4
        try expectClose(metrics, "log_loss", logLoss, within: 1e-6)
    }

    @Test func aucCountsTiesHalf() throws {
        let auc = try #require(EvaluationMetrics.rocAUC(scores: [0.5, 0.5, 0.2, 0.9], labels: [0, 1, 0, 1]))
        // pairs (pos, neg): (0.5, 0.5) tie = ½, (0.5, 0.2) = 1, (0.9, 0.5) = 1, (0.9, 0.2) = 1 → 3.5 / 4
        #expect(abs(auc - 0.875) < 1e-12)
        #expect(EvaluationMetrics.rocAUC(scores: [0.1, 0.2], labels: [1, 1]) == nil)
    }

    @Test func multiclassNeverPredictedClassScoresZeroPrecision() throws {
        // Three classes; class 2 is never predicted.
        let probabilities: [Float] = [0.8, 0.1, 0.1,  0.2, 0.7, 0.1,  0.6, 0.3, 0.1]
        let metrics = EvaluationMetrics.classification(probabilities: probabilities, labels: [0, 1, 2], classes: 3)
        try expectClose(metrics, "accuracy", 2.0 / 3, within: 1e-9)
        try expectClose(metrics, "precision", (0.5 + 1 + 0) / 3, within: 1e-9)
        try expectClose(metrics, "recall", 2.0 / 3, within: 1e-9)
        #expect(metrics["roc_auc"] == nil)
    }

    @Test func regression() throws {
        // scikit-learn's documentation example: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.9486…
        let metrics = EvaluationMetrics.regression(predictions: [2.5, 0, 2, 8], targets: [3, -0.5, 2, 7])
        try expectClose(metrics, "mse", 0.375, within: 1e-9)
        try expectClose(metrics, "mae", 0.5, within: 1e-9)
        try expectClose(metrics, "r2", (1 - 1.5 / 29.1875), within: 1e-9)
    }
}

import Foundation
