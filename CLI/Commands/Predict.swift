import ArgumentParser
import Foundation
import IntelliCoreEvents

/// Synchronous predictions through the gateway (`POST /v2/models/{model}/infer`).
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict one row (--input) or every row of a file (CSV with a header, NDJSON or a JSON array of objects) and print a table.")

    @Argument(help: "The model.") var model: String
    @Option(help: "One row as a JSON object of feature values; repeatable.") var input: [String] = []
    @Option(help: "A file of rows.") var file: String?
    @Option(help: "A version instead of the champion's traffic policy.") var version: Int?
    @Option(help: "An alias (default champion).") var alias: String?
    @Option(help: "The column (or field) naming each row's entity, for sticky canary routing.") var entityColumn: String?
    @Option(help: "Requests in flight at once.") var concurrency = 8
    @OptionGroup var connection: Connection

    func run() async throws {
        var rows = try input.map { text -> [String: JSONValue] in
            guard let parsed = JSONValue.parse(Data(text.utf8)), case .object(let fields) = parsed else {
                throw ValidationError("--input must be a JSON object: {\"feature\": value, …}")
            }
            return fields
        }
        if let file { rows += try RowFile.rows(file) }
        let allRows = rows
        guard !rows.isEmpty else { throw ValidationError("give --input JSON or --file FILE") }
        let key = try connection.apiKey()
        let client = connection.client
        let newest = try await Self.newestVersion(of: model, client: client, key: key)
        let features = Self.features(of: newest)
        let labels = try await Self.labels(of: newest, client: client, key: key)
        let path = "/v2/models/\(model.pathSegment)" + (version.map { "/versions/\($0)" } ?? "") + "/infer"

        var answers = [JSONValue?](repeating: nil, count: rows.count)
        var failures: [(Int, CLIError)] = []
        let model = model, alias = alias, entityColumn = entityColumn
        try await withThrowingTaskGroup(of: (Int, Result<JSONValue, CLIError>).self) { group in
            var next = 0
            func submit(_ index: Int) {
                let row = allRows[index]
                group.addTask {
                    let request = Self.request(row: row, features: features, id: "cli-\(index)", alias: alias,
                                               entity: entityColumn.flatMap { row[$0]?.string })
                    do {
                        return (index, .success(try await client.call("POST", .gateway, path, key: key, body: request)))
                    } catch let error as CLIError {
                        return (index, .failure(error))
                    }
                }
            }
            while next < min(concurrency, rows.count) { submit(next); next += 1 }
            for try await (index, result) in group {
                switch result {
                case .success(let answer): answers[index] = answer
                case .failure(let error): failures.append((index, error))
                }
                if next < rows.count { submit(next); next += 1 }
            }
        }
        _ = model
        if connection.json {
            Terminal.line(JSONValue.array(answers.map { $0 ?? .null }).pretty())
        } else {
            Table(["row", "version", "prediction", "confidence", "outputs"], rows: answers.enumerated().compactMap { index, answer in
                guard let answer else { return nil }
                let (prediction, confidence) = Self.reading(answer, labels: labels)
                return [String(index + 1), Format.cell(answer["model_version"]), prediction, confidence,
                        (answer["outputs"]?.array ?? []).map { "\(Format.cell($0["name"]))=[\(Format.cell($0["data"]))]" }.joined(separator: " ")]
            }).print()
        }
        for (index, error) in failures.sorted(by: { $0.0 < $1.0 }).prefix(5) { Terminal.warn("row \(index + 1): \(error.message)") }
        if let (_, first) = failures.first {
            throw CLIError(first.kind, "\(failures.count) of \(rows.count) predictions failed", hint: first.hint)
        }
    }

    /// The model's newest version: its input schema names the features, its dataset the classes.
    static func newestVersion(of model: String, client: PlatformClient, key: String) async throws -> JSONValue {
        let page = try await client.call("GET", .training, "/v1/training/models/\(model.pathSegment)/versions?limit=1", key: key)
        guard let newest = page.items.first else {
            throw CLIError(.refused, "model \(model) has no version", hint: "train one: `intellicore train \(model) --dataset … --algorithm …`")
        }
        return newest
    }

    /// A version's feature names, and whether each is a category.
    static func features(of version: JSONValue) -> [(name: String, categorical: Bool)] {
        (version["input_schema"]?["features"]?.array ?? []).compactMap { feature in
            feature["name"]?.string.map { ($0, feature["categories"] != nil) }
        }
    }

    /// The class names of a classifier version: the categories of its dataset's target column, in
    /// the order training numbers them (the schema's order; `false`, `true` for a boolean); nil
    /// when they cannot be known.
    static func labels(of version: JSONValue, client: PlatformClient, key: String) async throws -> [String]? {
        guard let datasetId = version["dataset_id"]?.string,
              let dataset = try? await client.call("GET", .gateway, "/v1/datasets/\(datasetId.pathSegment)", key: key),
              let target = dataset["schema"]?["target"]?.string,
              let column = dataset["schema"]?["columns"]?.array.first(where: { $0["name"]?.string == target }) else { return nil }
        if column["type"]?.string == "boolean" { return ["false", "true"] }
        let categories = column["categories"]?.array.compactMap(\.string) ?? []
        return categories.isEmpty ? nil : categories
    }

    /// An OIP v2 request of one row: one tensor per feature.
    static func request(row: [String: JSONValue], features: [(name: String, categorical: Bool)], id: String, alias: String?, entity: String?) -> JSONValue {
        let inputs: [JSONValue] = features.map { feature in
            let value = row[feature.name] ?? .null
            if feature.categorical || value.string != nil && value.double == nil {
                return .object(["name": .string(feature.name), "shape": .array([1]), "datatype": "BYTES", "data": .array([.string(value.string ?? "")])])
            }
            return .object(["name": .string(feature.name), "shape": .array([1]), "datatype": "FP32", "data": .array([value])])
        }
        var parameters: [String: JSONValue] = [:]
        if let alias { parameters["alias"] = .string(alias) }
        if let entity { parameters["entity"] = .string(entity) }
        var request: [String: JSONValue] = ["id": .string(id), "inputs": .array(inputs)]
        if !parameters.isEmpty { request["parameters"] = .object(parameters) }
        return .object(request)
    }

    /// The predicted class and its probability for a classifier; the value for a regressor.
    static func reading(_ answer: JSONValue, labels: [String]?) -> (String, String) {
        guard let output = answer["outputs"]?.array.first else { return ("–", "–") }
        let values = (output["data"]?.array ?? []).compactMap(\.double)
        if output["name"]?.string == "probabilities", let best = values.indices.max(by: { values[$0] < values[$1] }) {
            let name = labels.flatMap { $0.count == values.count ? " (\($0[best]))" : nil } ?? ""
            return ("class \(best)\(name)", String(format: "%.1f %%", values[best] * 100))
        }
        return (values.first.map { Format.number($0) } ?? "–", "–")
    }
}

/// Rows of a file: CSV with a header (numbers where they parse), NDJSON, or a JSON array of objects.
enum RowFile {
    static func rows(_ path: String) throws -> [[String: JSONValue]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self)
        if path.hasSuffix(".json") {
            guard let parsed = JSONValue.parse(data) else { throw ValidationError("\(path) is not JSON") }
            return parsed.array.map(\.object)
        }
        if path.hasSuffix(".ndjson") || path.hasSuffix(".jsonl") {
            return try text.split(separator: "\n").map { line in
                guard let parsed = JSONValue.parse(Data(line.utf8)), case .object(let fields) = parsed else {
                    throw ValidationError("\(path): a line is not a JSON object: \(line.prefix(80))")
                }
                return fields
            }
        }
        var lines = text.split(separator: "\n").map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        guard !lines.isEmpty else { return [] }
        let header = SchemaInference.split(lines.removeFirst())
        return lines.map { line in
            let cells = SchemaInference.split(line)
            var row: [String: JSONValue] = [:]
            for (index, name) in header.enumerated() where index < cells.count {
                row[name] = Double(cells[index]).map { .number($0) } ?? .string(cells[index])
            }
            return row
        }
    }
}
