import IntelliCoreEvents
import IntelliCoreLearning
import IntelliCoreModels
import IntelliCoreNumerics
import Testing

/// Training on synthetic tables: what each algorithm learns, the artifact inference would serve,
/// resuming from a checkpoint, and the failures a person gets instead of a model.
@Suite struct TrainingTests {
    /// Two numbers, a category and a class target that depends on all three; some values missing.
    static func table(rows: Int, seed: UInt64 = 1, classes: Bool = true) -> TrainingTable {
        var generator = SeededGenerator(seed: seed)
        var x1: [Float] = [], x2: [Float] = [], plan: [Float] = []
        var labels: [Int32] = [], values: [Float] = []
        for row in 0..<rows {
            let a = Float.random(in: -3...3, using: &generator), b = Float.random(in: 0...100, using: &generator)
            let category = Int.random(in: 0..<3, using: &generator)
            let score = 2 * a - 0.05 * (b - 50) + [1.5, -1, 0][category]
            x1.append(row % 37 == 0 ? .nan : a)
            x2.append(b)
            plan.append(row % 41 == 0 ? .nan : Float(category))
            labels.append(score > 0 ? 1 : 0)
            values.append(score + Float.random(in: -0.1...0.1, using: &generator))
        }
        return TrainingTable(features: [
            .init(name: "a", kind: .numeric, values: x1),
            .init(name: "b", kind: .numeric, values: x2),
            .init(name: "plan", kind: .categorical(categories: ["free", "pro", "team"]), values: plan),
        ], target: classes ? .classes(labels: ["stays", "churns"], codes: labels) : .values(values), targetName: "y")
    }

    static func train(_ prepared: PreparedTraining) async throws -> (TrainerState, [String: Double]) {
        let trainer = prepared.trainer()
        let state = try await trainer.train(prepared.training, validation: prepared.validation, evaluate: prepared.evaluate) { _, _ in }
        let outputs = try trainer.predict(prepared.validation.features, rows: prepared.validation.rows, parameters: state.best)
        return (state, prepared.evaluate(outputs))
    }

    @Test func logisticRegressionLearnsAndItsArtifactAnswersLikeTheTrainer() async throws {
        let table = Self.table(rows: 2000)
        let prepared = try PreparedTraining(table: table, plan: TrainingPlan(algorithm: "logistic_regression", hyperparameters: [:]))
        let (state, metrics) = try await Self.train(prepared)
        let accuracy = try #require(metrics["accuracy"])
        #expect(accuracy > 0.9, "accuracy \(accuracy)")
        #expect(try #require(metrics["roc_auc"]) > 0.95)

        // The artifact on raw rows (NaN where missing) gives what the trainer gives on encoded rows.
        let artifact = prepared.artifact(parameters: state.best)
        let network = try FeedForwardNetwork(artifact)
        #expect(artifact.labels == ["stays", "churns"])
        let rows = prepared.split.validation
        let raw = rows.flatMap { row in table.features.map { $0.values[row] } }
        let served = try raw.withUnsafeBufferPointer { try network.predict($0, rows: rows.count, backend: OpenBLASBackend()) }
        let trained = try prepared.trainer().predict(prepared.validation.features, rows: rows.count, parameters: state.best)
        try #require(served.count == rows.count * 2 && trained.count == rows.count)
        for (index, probability) in trained.enumerated() {
            #expect(abs(served[index * 2 + 1] - probability) < 1e-5)
            #expect(abs(served[index * 2] + served[index * 2 + 1] - 1) < 1e-5)
        }
    }

    @Test func mlpRegressorAndClosedFormRegressionLearnTheTarget() async throws {
        let table = Self.table(rows: 1500, classes: false)
        for algorithm in ["linear_regression", "ridge"] {
            let prepared = try PreparedTraining(table: table, plan: TrainingPlan(algorithm: algorithm, hyperparameters: [:]))
            let solved = try prepared.solveLinear()
            let r2 = try #require(solved.metrics["r2"])
            #expect(r2 > 0.95, "\(algorithm) R² \(r2)")
            // Served in the target's units.
            let network = try FeedForwardNetwork(prepared.artifact(parameters: solved.parameters))
            let row = prepared.split.validation[0]
            let raw = table.features.map { $0.values[row] }
            let answer = try raw.withUnsafeBufferPointer { try network.predict($0, rows: 1, backend: OpenBLASBackend()) }
            guard case .values(let targets) = table.target else { Issue.record("regression table"); return }
            #expect(abs(try #require(answer.first) - targets[row]) < 1.0)
        }
        let prepared = try PreparedTraining(table: table, plan: TrainingPlan(algorithm: "mlp", hyperparameters: [
            "hidden_layers": .array([.number(16)]), "epochs": .number(60), "learning_rate": .number(0.01)]))
        let (_, metrics) = try await Self.train(prepared)
        #expect(try #require(metrics["r2"]) > 0.95)
    }

    @Test func resumingFromAStateGivesTheUninterruptedRun() async throws {
        let prepared = try PreparedTraining(table: Self.table(rows: 600), plan: TrainingPlan(algorithm: "mlp", hyperparameters: [
            "hidden_layers": .array([.number(8), .number(8)]), "epochs": .number(6), "patience": .number(0), "batch_size": .number(50)]))
        let trainer = prepared.trainer()
        let straight = try await trainer.train(prepared.training, validation: prepared.validation, evaluate: prepared.evaluate) { _, _ in }
        var checkpoint: TrainerState?
        struct Stop: Error {}
        do {
            _ = try await trainer.train(prepared.training, validation: prepared.validation, evaluate: prepared.evaluate) { report, state in
                if report.epoch == 3 { checkpoint = state; throw Stop() }
            }
        } catch is Stop {}
        let saved = try #require(checkpoint)
        // Through its encoded form, as the orchestrator stores it.
        let restored = try EventCodec.decode(TrainerState.self, from: try EventCodec.encode(saved))
        let resumed = try await trainer.train(prepared.training, validation: prepared.validation, from: restored, evaluate: prepared.evaluate) { _, _ in }
        #expect(resumed.epoch == 6)
        #expect(resumed.parameters == straight.parameters)
    }

    @Test func unusableRequestsFailWithAReason() throws {
        func failure(_ algorithm: String, _ hyperparameters: [String: JSONValue] = [:], table: TrainingTable = TrainingTests.table(rows: 50)) -> TrainingFailure? {
            do {
                _ = try PreparedTraining(table: table, plan: TrainingPlan(algorithm: algorithm, hyperparameters: hyperparameters))
                return nil
            } catch { return error }
        }
        #expect(failure("gradient_boosting")?.code == .invalidRequest)
        #expect(failure("mlp", ["epochs": .number(0)])?.message.contains("epochs") == true)
        #expect(failure("logistic_regression", ["hidden_layers": .array([.number(4)])])?.message.contains("does not apply") == true)
        #expect(failure("linear_regression")?.code == .unsuitableTarget)
        #expect(failure("logistic_regression", table: Self.table(rows: 50, classes: false))?.code == .unsuitableTarget)
        var single = Self.table(rows: 50)
        single.target = .classes(labels: ["a", "b"], codes: Array(repeating: 1, count: 50))
        #expect(failure("mlp", table: single)?.message.contains("single class") == true)
        var missing = Self.table(rows: 50)
        missing.target = .classes(labels: ["a", "b"], codes: (0..<50).map { $0 == 7 ? -1 : Int32($0 % 2) })
        #expect(failure("mlp", table: missing)?.message.contains("missing in 1 rows") == true)
        #expect(failure("mlp", table: Self.table(rows: 1))?.code == .notEnoughData)
    }

    @Test func divergenceStopsTheRun() async throws {
        let prepared = try PreparedTraining(table: Self.table(rows: 400, classes: false), plan: TrainingPlan(algorithm: "mlp", hyperparameters: [
            "optimizer": .string("sgd"), "learning_rate": .number(10), "momentum": .number(0.99), "epochs": .number(50)]))
        await #expect(throws: TrainingFailure.self) {
            _ = try await prepared.trainer().train(prepared.training, validation: prepared.validation, evaluate: prepared.evaluate) { _, _ in }
        }
    }

    @Test func baselinesHoldEveryPresentValue() throws {
        let table = Self.table(rows: 1000)
        let baselines = FeatureBaselines.compute(table, rows: Array(0..<1000))
        try #require(baselines.count == 3)
        for baseline in baselines {
            #expect(baseline.bucketFractions.count == baseline.bucketEdges.count + 1)
            #expect(abs(baseline.bucketFractions.reduce(0, +) - 1) < 1e-9)
        }
        #expect(baselines[2].bucketEdges == [0.5, 1.5])
        #expect(baselines[0].bucketEdges.count == 9)
    }
}
