import BenchmarkSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEvents
import IntelliCoreLearning
import IntelliCoreModels

/// Training beside scikit-learn, same data, same splits, same run (`sklearn_peer.py`):
///
///   training-benchmark quality --python PATH
///     Iris, Wine, Breast Cancer Wisconsin and Diabetes from scikit-learn's bundled loaders,
///     exported with one seeded train/validation split; each algorithm trained here and its
///     scikit-learn counterpart there with comparable settings; held-out accuracy / R² side by
///     side with the difference in points.
///   training-benchmark throughput --python PATH [--rows 1000000] [--width 32] [--epochs 3]
///     Synthetic standardised rows (a noisy linear rule plus an interaction, two classes):
///     logistic regression and a 32-64-64-2 MLP here, SGDClassifier / LogisticRegression and
///     MLPClassifier there; samples per second per epoch and held-out accuracy, with the ratio.
///   training-benchmark platform --python PATH --gateway URL --orchestrator URL --admin-key-file FILE
///     Against a running platform (`./intellicore dev up`): Breast Cancer Wisconsin registered and
///     uploaded through the gateway, an MLP job with a validation gate submitted, and the time
///     from the request until inference answers with the version the gate deployed.
@main
struct TrainingBenchmark {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let mode = arguments.first else { usage() }
        var options: [String: String] = [:]
        var index = 1
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        guard let python = options["--python"] else { usage() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("sklearn_peer.py").path
        switch mode {
        case "quality": try await quality(python: python, script: script)
        case "throughput":
            try await throughput(python: python, script: script, rows: Int(options["--rows"] ?? "") ?? 1_000_000,
                                 width: Int(options["--width"] ?? "") ?? 32, epochs: Int(options["--epochs"] ?? "") ?? 3)
        case "platform":
            guard let gateway = options["--gateway"], let orchestrator = options["--orchestrator"], let keyFile = options["--admin-key-file"] else { usage() }
            try await platform(python: python, script: script, gateway: gateway, orchestrator: orchestrator,
                               adminKey: try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        default: usage()
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("""
            usage: training-benchmark quality --python PATH
                   training-benchmark throughput --python PATH [--rows N] [--width D] [--epochs E]
                   training-benchmark platform --python PATH --gateway URL --orchestrator URL --admin-key-file FILE

            """.utf8))
        exit(2)
    }

    /// Runs the peer and returns its JSON lines.
    static func peer(_ python: String, _ script: String, _ arguments: [String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkError("sklearn_peer.py \(arguments.first ?? "") exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    // MARK: quality

    /// Settings comparable to the scikit-learn estimator each algorithm is compared with.
    static func plan(_ algorithm: String, trainingRows: Int) throws -> TrainingPlan {
        var hyperparameters: [String: JSONValue] = ["seed": 42]
        switch algorithm {
        case "logistic_regression", "softmax_regression":
            // LogisticRegression(C=1): ½‖w‖² added to the summed loss = 1/n on the mean loss.
            hyperparameters["l2"] = .number(1 / Double(trainingRows))
            hyperparameters["epochs"] = 300
            hyperparameters["patience"] = 0
        case "mlp":
            // MLP*(alpha=1e-4, batch_size=200): alpha·W / batch on the gradient of the mean loss.
            hyperparameters["hidden_layers"] = .array([100])
            hyperparameters["l2"] = .number(1e-4 / Double(min(200, trainingRows)))
            hyperparameters["batch_size"] = 200
            hyperparameters["patience"] = 0
            hyperparameters["epochs"] = 200
        default:
            break
        }
        return try TrainingPlan(algorithm: algorithm, hyperparameters: hyperparameters)
    }

    static func quality(python: String, script: String) async throws {
        let directory = NSTemporaryDirectory() + "intellicore-training-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try peer(python, script, ["export", directory])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))) as? [String: Any]
        let started = ContinuousClock.now
        let theirs = try peer(python, script, ["quality", directory])
        let sklearnSeconds = elapsedSeconds(since: started)
        report(String(format: "scikit-learn: %d fits in %.1f s", theirs.count, sklearnSeconds))
        report("dataset         algorithm            metric    IntelliCore  scikit-learn  difference (points)")
        var worst = 0.0
        for entry in manifest?["datasets"] as? [[String: Any]] ?? [] {
            guard let name = entry["name"] as? String, let file = entry["file"] as? String, let task = entry["task"] as? String else { continue }
            let (table, split) = try readTable(directory + "/" + file, classes: task == "classification" ? entry["classes"] as? [String] : nil)
            let algorithms: [String]
            if task == "classification" {
                algorithms = [(entry["classes"] as? [String])?.count == 2 ? "logistic_regression" : "softmax_regression", "mlp"]
            } else {
                algorithms = ["linear_regression", "ridge", "mlp"]
            }
            for algorithm in algorithms {
                let prepared = try PreparedTraining(table: table, plan: try plan(algorithm, trainingRows: split.training.count), split: split)
                let clock = ContinuousClock.now
                let metrics: [String: Double]
                if prepared.plan.isClosedForm {
                    metrics = try prepared.solveLinear().metrics
                } else {
                    let trainer = prepared.trainer()
                    let state = try await trainer.train(prepared.training, validation: prepared.validation, evaluate: prepared.evaluate) { _, _ in }
                    metrics = prepared.evaluate(try trainer.predict(prepared.validation.features, rows: prepared.validation.rows, parameters: state.best))
                }
                let seconds = elapsedSeconds(since: clock)
                let metric = task == "classification" ? "accuracy" : "r2"
                let peer = theirs.first { $0["dataset"] as? String == name && $0["algorithm"] as? String == algorithm }
                let ours = metrics[metric] ?? .nan
                let theirsValue = (peer?["metrics"] as? [String: Any])?[metric] as? Double ?? .nan
                let difference = (ours - theirsValue) * 100
                worst = min(worst, difference)
                report(pad(name, 16) + pad(algorithm, 21) + pad(metric, 9) + String(format: "%11.4f  %12.4f  %+8.2f   (%.2f s here, %.2f s there; %@)",
                              ours, theirsValue, difference, seconds, peer?["seconds"] as? Double ?? .nan,
                              peer?["estimator"] as? String ?? "?"))
            }
        }
        report(String(format: "largest shortfall against scikit-learn: %.2f points (the bar is 2)", -worst))
    }

    /// A CSV written by `sklearn_peer.py export`: numeric features, `target`, `split`.
    static func readTable(_ path: String, classes: [String]?) throws -> (TrainingTable, DataSplit) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let targetColumn = header.firstIndex(of: "target"), let splitColumn = header.firstIndex(of: "split") else {
            throw BenchmarkError("\(path) has no target or split column")
        }
        let featureColumns = header.indices.filter { $0 != targetColumn && $0 != splitColumn }
        var features = Array(repeating: [Float](), count: featureColumns.count)
        var codes: [Int32] = [], values: [Float] = []
        var training: [Int] = [], validation: [Int] = []
        for (row, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for (position, column) in featureColumns.enumerated() { features[position].append(Float(fields[column]) ?? .nan) }
            if let classes { codes.append(Int32(classes.firstIndex(of: fields[targetColumn]) ?? -1)) } else { values.append(Float(fields[targetColumn]) ?? .nan) }
            if fields[splitColumn] == "train" { training.append(row) } else { validation.append(row) }
        }
        let table = TrainingTable(features: zip(featureColumns, features).map { .init(name: header[$0.0], kind: .numeric, values: $0.1) },
                                  target: classes.map { .classes(labels: $0, codes: codes) } ?? .values(values), targetName: "target")
        return (table, try DataSplit(training: training, validation: validation))
    }

    // MARK: throughput

    static func throughput(python: String, script: String, rows: Int, width: Int, epochs: Int) async throws {
        let trainingRows = rows * 4 / 5
        report("generating \(rows) × \(width) rows (\(trainingRows) to train on, the rest held out)")
        var generator = SeededGenerator(seed: 2024)
        let weights = (0..<width).map { _ in Float.random(in: -1...1, using: &generator) }
        var features = [Float](repeating: 0, count: rows * width)
        var labels = [Int32](repeating: 0, count: rows)
        for row in 0..<rows {
            var score: Float = 0
            for column in 0..<width {
                // Box–Muller: standard normal features
                let u = Float.random(in: Float.ulpOfOne...1, using: &generator), v = Float.random(in: 0...1, using: &generator)
                let value = (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * .pi * v)
                features[row * width + column] = value
                score += weights[column] * value
            }
            score += 1.5 * features[row * width] * features[row * width + 1] + Float.random(in: -1...1, using: &generator)
            labels[row] = score > 0 ? 1 : 0
        }
        let directory = NSTemporaryDirectory()
        let featuresFile = directory + "intellicore-training-bench-features-\(getpid()).f32"
        let labelsFile = directory + "intellicore-training-bench-labels-\(getpid()).i32"
        defer {
            try? FileManager.default.removeItem(atPath: featuresFile)
            try? FileManager.default.removeItem(atPath: labelsFile)
        }
        try features.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: featuresFile)) }
        try labels.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: labelsFile)) }

        let table = TrainingTable(features: (0..<width).map { column in
            .init(name: "f\(column)", kind: .numeric, values: (0..<rows).map { features[$0 * width + column] })
        }, target: .classes(labels: ["0", "1"], codes: labels), targetName: "y")
        let split = try DataSplit(training: Array(0..<trainingRows), validation: Array(trainingRows..<rows))
        var results: [String: (rate: Double, accuracy: Double)] = [:]
        for (name, algorithm, hyperparameters) in [
            ("logistic_regression (SGD, momentum 0.9, batch 256)", "logistic_regression",
             ["optimizer": JSONValue.string("sgd"), "learning_rate": 0.05, "batch_size": 256, "l2": 0.0001]),
            ("mlp 32-64-64-2 (Adam, batch 200)", "mlp", ["hidden_layers": .array([64, 64]), "batch_size": 200, "l2": 0.0000005]),
        ] as [(String, String, [String: JSONValue])] {
            var parameters = hyperparameters
            parameters["epochs"] = .number(Double(epochs))
            parameters["patience"] = 0
            let prepared = try PreparedTraining(table: table, plan: try TrainingPlan(algorithm: algorithm, hyperparameters: parameters), split: split)
            var rates: [Double] = []
            let trainer = prepared.trainer()
            let state = try await trainer.train(prepared.training, validation: prepared.validation, evaluate: { _ in [:] }) { epoch, _ in
                rates.append(epoch.samplesPerSecond)
            }
            let accuracy = prepared.evaluate(try trainer.predict(prepared.validation.features, rows: prepared.validation.rows,
                                                                 parameters: state.parameters))["accuracy"] ?? .nan
            let median = rates.sorted()[rates.count / 2]
            results[algorithm] = (median, accuracy)
            report("IntelliCore  " + pad(name, 53) + String(format: "%10.0f samples/s per epoch (median of %d), accuracy %.4f", median, rates.count, accuracy))
        }
        let theirs = try peer(python, script, ["throughput", "--features-file", featuresFile, "--labels-file", labelsFile, "--rows", String(rows),
                                               "--width", String(width), "--train-rows", String(trainingRows), "--epochs", String(epochs)])
        for line in theirs where line["event"] as? String == "throughput" {
            let algorithm = line["algorithm"] as? String ?? "?"
            let rate = line["samples_per_second"] as? Double ?? .nan
            let ours = results[algorithm]
            report("scikit-learn " + pad("\(line["estimator"] as? String ?? "?") (\(algorithm))", 53)
                   + String(format: "%10.0f samples/s per epoch (%d epochs), accuracy %.4f — IntelliCore / scikit-learn %.2f×",
                            rate, line["epochs"] as? Int ?? 0, line["accuracy"] as? Double ?? .nan, (ours?.rate ?? .nan) / rate))
        }
    }
}

extension TrainingBenchmark {
    // MARK: platform

    static func platform(python: String, script: String, gateway: String, orchestrator: String, adminKey: String) async throws {
        let directory = NSTemporaryDirectory() + "intellicore-training-platform-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try peer(python, script, ["export", directory])
        let lines = try String(contentsOfFile: directory + "/breast_cancer.csv", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first, let split = header.firstIndex(of: "split"), let target = header.firstIndex(of: "target") else {
            throw BenchmarkError("breast_cancer.csv has no split or target column")
        }
        let csv = lines.map { fields in fields.enumerated().filter { $0.offset != split }.map(\.element).joined(separator: ",") }.joined(separator: "\n") + "\n"
        let features = header.indices.filter { $0 != split && $0 != target }
        let tenant = "trbench-\(UInt32.random(in: 0...UInt32.max))"
        let key = try await benchmarkTenant(gateway: gateway, adminKey: adminKey, tenant: tenant, name: "training benchmark", plan: "bench")
        let columns = features.map { #"{"name":"\#(header[$0])","type":"number"}"# }
            + [#"{"name":"target","type":"category","categories":["malignant","benign"]}"#]
        let registered = try await http("POST", "\(gateway)/v1/datasets", key: key,
                                        body: #"{"name":"breast-cancer","target":"target","columns":[\#(columns.joined(separator: ","))]}"#, expect: 201)
        guard let dataset = (try JSONSerialization.jsonObject(with: registered) as? [String: Any])?["dataset_id"] as? String else {
            throw BenchmarkError("no dataset id")
        }
        var upload = URLRequest(url: URL(string: "\(gateway)/v1/datasets/\(dataset)/versions")!)
        upload.httpMethod = "POST"
        upload.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        upload.setValue("text/csv", forHTTPHeaderField: "Content-Type")
        upload.httpBody = Data(csv.utf8)
        let (uploaded, response) = try await URLSession.shared.data(for: upload)
        guard (response as? HTTPURLResponse)?.statusCode == 201 else { throw BenchmarkError("upload: \(String(decoding: uploaded, as: UTF8.self))") }

        let row = features.map { lines[1][$0] }.joined(separator: ",")
        let infer = #"{"id":"bench-1","inputs":[{"name":"input","shape":[1,\#(features.count)],"datatype":"FP32","data":[\#(row)]}]}"#
        let started = ContinuousClock.now
        let submitted = try await http("POST", "\(gateway)/v1/commands/training-jobs", key: key, body: """
            {"model_name":"breast-cancer","dataset_id":"\(dataset)","algorithm":"mlp","target":"target",
             "hyperparameters":{"hidden_layers":[32],"epochs":100,"patience":10},"validation_gate":{"metric":"accuracy","threshold":0.9}}
            """, expect: 202)
        guard let job = (try JSONSerialization.jsonObject(with: submitted) as? [String: Any])?["job_id"] as? String else { throw BenchmarkError("no job id") }
        var served: Double?
        while elapsedSeconds(since: started) < 120 {
            if (try? await http("POST", "\(gateway)/v2/models/breast-cancer/infer", key: key, body: infer, expect: 200)) != nil {
                served = elapsedSeconds(since: started)
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let view = try JSONSerialization.jsonObject(with: try await http("GET", "\(orchestrator)/v1/training/jobs/\(job)", key: key, body: nil, expect: 200)) as? [String: Any]
        let metrics = view?["metrics"] as? [String: Any]
        guard let served else { throw BenchmarkError("inference did not answer within 120 s; job: \(view ?? [:])") }
        report(String(format: "Breast Cancer (%d rows × %d): TrainingRequested → inference answering with the gated version in %.2f s (status %@, epochs %@, accuracy %@)",
                      lines.count - 1, features.count, served, "\(view?["status"] ?? "?")", "\(view?["epoch"] ?? "?")", "\(metrics?["accuracy"] ?? "?")"))
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

