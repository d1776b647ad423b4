import Foundation
import IntelliCoreEvents

/// Validation metrics, named by `ModelMetric`, computed as scikit-learn computes them.
public enum EvaluationMetrics {
    /// Accuracy, macro precision, recall and F1 (a class never predicted scores 0 precision, as
    /// scikit-learn's `zero_division=0`), log loss (probabilities clipped to 1e-15), and ROC AUC
    /// for two classes (the Mann–Whitney statistic, ties counted half).
    /// `probabilities` is `labels.count × classes`, row-major.
    public static func classification(probabilities: [Float], labels: [Int32], classes: Int) -> [String: Double] {
        let rows = labels.count
        precondition(probabilities.count == rows * classes, "probabilities do not match the labels")
        guard rows > 0 else { return [:] }
        var truePositives = [Double](repeating: 0, count: classes)
        var predictedCounts = [Double](repeating: 0, count: classes)
        var actualCounts = [Double](repeating: 0, count: classes)
        var correct = 0.0, logLoss = 0.0
        for row in 0..<rows {
            let base = row * classes
            var predicted = 0
            for column in 1..<classes where probabilities[base + column] > probabilities[base + predicted] { predicted = column }
            let actual = Int(labels[row])
            predictedCounts[predicted] += 1
            actualCounts[actual] += 1
            if predicted == actual {
                correct += 1
                truePositives[actual] += 1
            }
            let probability = min(max(Double(probabilities[base + actual]), 1e-15), 1 - 1e-15)
            logLoss -= Foundation.log(probability)
        }
        var precision = 0.0, recall = 0.0, f1 = 0.0
        for label in 0..<classes {
            let p = predictedCounts[label] > 0 ? truePositives[label] / predictedCounts[label] : 0
            let r = actualCounts[label] > 0 ? truePositives[label] / actualCounts[label] : 0
            precision += p
            recall += r
            f1 += p + r > 0 ? 2 * p * r / (p + r) : 0
        }
        let count = Double(rows)
        var metrics: [String: Double] = [
            ModelMetric.accuracy.rawValue: correct / count,
            ModelMetric.precision.rawValue: precision / Double(classes),
            ModelMetric.recall.rawValue: recall / Double(classes),
            ModelMetric.f1.rawValue: f1 / Double(classes),
            ModelMetric.logLoss.rawValue: logLoss / count,
        ]
        if classes == 2, let auc = rocAUC(scores: (0..<rows).map { probabilities[$0 * 2 + 1] }, labels: labels) {
            metrics[ModelMetric.rocAUC.rawValue] = auc
        }
        return metrics
    }

    /// Area under the ROC curve of scores for class 1; nil when only one class is present.
    public static func rocAUC(scores: [Float], labels: [Int32]) -> Double? {
        precondition(scores.count == labels.count, "one score per label")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0, positives = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1 // tied scores share their average rank
            for index in start...end where labels[order[index]] == 1 {
                rankSumPositive += rank
                positives += 1
            }
            start = end + 1
        }
        let negatives = Double(scores.count) - positives
        guard positives > 0, negatives > 0 else { return nil }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean squared error, mean absolute error and R² (1 − SSE / SST; 0 when the targets are constant).
    public static func regression(predictions: [Float], targets: [Float]) -> [String: Double] {
        precondition(predictions.count == targets.count, "one prediction per target")
        guard !targets.isEmpty else { return [:] }
        let count = Double(targets.count)
        let mean = targets.reduce(0.0) { $0 + Double($1) } / count
        var squared = 0.0, absolute = 0.0, total = 0.0
        for (prediction, target) in zip(predictions, targets) {
            let error = Double(prediction) - Double(target)
            squared += error * error
            absolute += abs(error)
            total += (Double(target) - mean) * (Double(target) - mean)
        }
        return [
            ModelMetric.mse.rawValue: squared / count,
            ModelMetric.mae.rawValue: absolute / count,
            ModelMetric.r2.rawValue: total > 0 ? 1 - squared / total : 0,
        ]
    }
}
