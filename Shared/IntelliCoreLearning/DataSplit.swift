import IntelliCoreModels

/// A seeded shuffle of the rows into a training and a validation part, as scikit-learn's
/// `train_test_split` makes one: the same seed gives the same split on every run and every
/// resumed attempt.
public struct DataSplit: Sendable, Hashable {
    public let training: [Int]
    public let validation: [Int]

    /// A split made elsewhere (the same rows another tool trains and validates on).
    public init(training: [Int], validation: [Int]) throws(TrainingFailure) {
        guard !training.isEmpty, !validation.isEmpty else {
            throw TrainingFailure(.notEnoughData, "a split needs at least one training and one validation row")
        }
        self.training = training
        self.validation = validation
    }

    /// `validationShare` of the rows (at least one) go to validation, the rest (at least one) to training.
    public init(rows: Int, validationShare: Double, seed: UInt64) throws(TrainingFailure) {
        guard rows >= 2 else {
            throw TrainingFailure(.notEnoughData, "the dataset version has \(rows) row\(rows == 1 ? "" : "s"); training needs at least 2 (one to learn from, one to validate on)")
        }
        var order = Array(0..<rows)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        let validationCount = min(rows - 1, max(1, Int((Double(rows) * validationShare).rounded(.up))))
        validation = Array(order[0..<validationCount])
        training = Array(order[validationCount...])
    }
}
