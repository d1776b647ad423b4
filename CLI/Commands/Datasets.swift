import ArgumentParser
import Foundation
import IntelliCoreEvents

/// Datasets: a typed schema, then uploads that become sealed versions.
struct Datasets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register datasets, upload data, see versions and quality.",
                                                    subcommands: [Register.self, Upload.self, Show.self, List.self])

    /// A dataset named by id (`ds-…`) or by name.
    static func resolve(_ nameOrId: String, client: PlatformClient, key: String) async throws -> JSONValue {
        if nameOrId.hasPrefix("ds-") { return try await client.call("GET", .gateway, "/v1/datasets/\(nameOrId.pathSegment)", key: key) }
        let all = try await client.all(.gateway, "/v1/datasets", key: key, limit: 100_000)
        guard let found = all.first(where: { $0["name"]?.string == nameOrId }) else {
            throw CLIError(.refused, "the tenant has no dataset named \(nameOrId)", hint: "`intellicore datasets list`, or register it: `intellicore datasets register \(nameOrId) --from-csv FILE --target COLUMN`")
        }
        return found
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a dataset's schema: from a JSON file, or inferred from a CSV file's header and first 1,000 rows.")

        @Argument(help: "The dataset's name.") var name: String
        @Option(help: "A CSV file to infer the columns from (integer, number, category of ≤ 20 values, string; empty cells make a column nullable).")
        var fromCsv: String?
        @Option(help: "A JSON file: {\"columns\": [{\"name\", \"type\", \"nullable\"?, \"categories\"?}], \"target\"?}.")
        var schema: String?
        @Option(help: "The target column.") var target: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            var body: [String: JSONValue]
            if let schema {
                guard let data = FileManager.default.contents(atPath: schema), let parsed = JSONValue.parse(data), case .object(let fields) = parsed else {
                    throw ValidationError("\(schema) is not a JSON object")
                }
                body = fields
            } else if let fromCsv {
                body = ["columns": .array(try SchemaInference.columns(csv: fromCsv))]
            } else {
                throw ValidationError("give --from-csv FILE or --schema FILE")
            }
            body["name"] = .string(name)
            if let target { body["target"] = .string(target) }
            let dataset = try await connection.client.call("POST", .gateway, "/v1/datasets", key: try connection.apiKey(), body: .object(body))
            if connection.json { return Terminal.line(dataset.pretty()) }
            Terminal.line("registered \(Terminal.styled(name, .bold)) as \(Format.cell(dataset["dataset_id"])) (schema version \(Format.cell(dataset["schema_version"])))")
            Datasets.printSchema(dataset)
        }
    }

    static func printSchema(_ dataset: JSONValue) {
        let target = dataset["schema"]?["target"]?.string
        Table(["column", "type", "nullable", "categories / range"], rows: (dataset["schema"]?["columns"]?.array ?? []).map { column in
            let name = column["name"]?.string ?? ""
            let range = column["categories"].map { Format.cell($0) }
                ?? [column["minimum"], column["maximum"]].compactMap { $0?.string }.joined(separator: " … ")
            return [name + (name == target ? Terminal.styled(" (target)", .cyan) : ""), Format.cell(column["type"]), Format.cell(column["nullable"]), range]
        }).print()
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a file as a new version: CSV, JSON array or NDJSON (by extension; .gz is sent compressed), with live progress.")

        @Argument(help: "The dataset (name or id).") var dataset: String
        @Argument(help: "The file.") var file: String
        @Option(help: "csv, json or ndjson (default: from the extension).") var format: String?
        @Option(help: "Makes a retried upload a no-op.") var idempotencyKey: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let key = try connection.apiKey()
            let client = connection.client
            let found = try await Datasets.resolve(dataset, client: client, key: key)
            let id = found["dataset_id"]?.string ?? dataset
            guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let compressed = file.hasSuffix(".gz")
            let plain = compressed ? String(file.dropLast(3)) : file
            let kind = format ?? (plain.hasSuffix(".ndjson") || plain.hasSuffix(".jsonl") ? "ndjson" : plain.hasSuffix(".json") ? "json" : "csv")
            let contentType = ["csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"][kind]
            guard let contentType else { throw ValidationError("--format must be csv, json or ndjson") }
            var headers = ["Content-Type": contentType]
            if compressed { headers["Content-Encoding"] = "gzip" }
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            // Rows to expect, for the bar: lines of an uncompressed CSV (less its header) or NDJSON file.
            let expected = compressed || kind == "json" ? nil : LineCounter.lines(in: file).map { kind == "csv" ? max(0, $0 - 1) : $0 }

            let bar = ProgressBar("uploading \(URL(fileURLWithPath: file).lastPathComponent)", total: expected, unit: "rows")
            let upload = Task { try await client.send("POST", .gateway, "/v1/datasets/\(id.pathSegment)/versions", key: key, body: .file(URL(fileURLWithPath: file)),
                                                      headers: headers, timeout: 24 * 3600) }
            // The service counts rows as it reads them: follow the receiving version until the answer.
            let follow = Task {
                while !Task.isCancelled {
                    if let receiving = try? await client.call("GET", .gateway, "/v1/datasets/\(id.pathSegment)/versions?status=receiving", key: key).items.last,
                       let read = receiving["rows_read"]?.int {
                        bar.update(read, detail: "\(Format.count(receiving["rows_rejected"]?.int ?? 0)) rejected")
                    }
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
            let answer: PlatformClient.Answer
            do {
                answer = try await upload.value
                follow.cancel()
            } catch {
                follow.cancel()
                throw error
            }
            let version = answer.json
            bar.update(version["rows_read"]?.int ?? 0, total: version["rows_read"]?.int)
            bar.finish(detail: "\(Format.count(version["rows_rejected"]?.int ?? 0)) rejected")
            if connection.json { return Terminal.line(version.pretty()) }
            Datasets.printVersion(version)
        }
    }

    static func printVersion(_ version: JSONValue) {
        let status = version["status"]?.string ?? ""
        Terminal.line("version \(Format.cell(version["version"])): " + Terminal.styled(status, status == "sealed" ? .green : .yellow)
                      + " · \(Format.count(version["rows_accepted"]?.int ?? 0)) rows accepted, \(Format.count(version["rows_rejected"]?.int ?? 0)) rejected, "
                      + "\(Format.count(version["bytes"]?.int ?? 0)) bytes")
        if let reason = version["failure_reason"]?.string { Terminal.line(Terminal.styled("failed: \(reason) \(version["failure_message"]?.string ?? "")", .red)) }
        let statistics = version["column_statistics"]?.array ?? []
        guard !statistics.isEmpty else { return }
        Table(["column", "count", "nulls", "mean", "std", "min", "max", "categories"], rows: statistics.map {
            [Format.cell($0["name"]), Format.cell($0["count"]), Format.cell($0["null_count"]), Format.cell($0["mean"]),
             Format.cell($0["standard_deviation"]), Format.cell($0["minimum"]), Format.cell($0["maximum"]),
             $0["categories"].map { Format.cell($0) } ?? ""]
        }).print()
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A dataset: its schema and versions.")
        @Argument(help: "The dataset (name or id).") var dataset: String
        @OptionGroup var connection: Connection

        func run() async throws {
            let key = try connection.apiKey()
            let found = try await Datasets.resolve(dataset, client: connection.client, key: key)
            let id = found["dataset_id"]?.string ?? dataset
            let versions = try await connection.client.all(.gateway, "/v1/datasets/\(id.pathSegment)/versions", key: key)
            if connection.json { return Terminal.line(JSONValue.object(["dataset": found, "versions": .array(versions)]).pretty()) }
            Terminal.line("\(Terminal.styled(found["name"]?.string ?? dataset, .bold)) \(id) · schema version \(Format.cell(found["schema_version"]))")
            Datasets.printSchema(found)
            Terminal.line()
            Table(["version", "status", "source", "rows read", "accepted", "rejected", "bytes", "created"], rows: versions.map {
                [Format.cell($0["version"]), Format.cell($0["status"]), Format.cell($0["source"]), Format.cell($0["rows_read"]),
                 Format.cell($0["rows_accepted"]), Format.cell($0["rows_rejected"]), Format.cell($0["bytes"]), Format.cell($0["created_at"])]
            }).print()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's datasets.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let items = try await connection.client.all(.gateway, "/v1/datasets", key: try connection.apiKey())
            if connection.json { return Terminal.line(JSONValue.array(items).pretty()) }
            Table(["name", "id", "schema version", "columns", "created"], rows: items.map {
                [Format.cell($0["name"]), Format.cell($0["dataset_id"]), Format.cell($0["schema_version"]),
                 String($0["schema"]?["columns"]?.array.count ?? 0), Format.cell($0["created_at"])]
            }).print()
        }
    }
}

/// Columns of a CSV file, guessed from its header and first rows.
enum SchemaInference {
    static func columns(csv path: String, sample: Int = 1000) throws -> [JSONValue] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        defer { try? handle.close() }
        let head = String(decoding: (try handle.read(upToCount: 4 << 20)) ?? Data(), as: UTF8.self)
        var lines = head.split(separator: "\n", omittingEmptySubsequences: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard !lines.isEmpty else { throw ValidationError("\(path) is empty") }
        let header = split(lines.removeFirst())
        let rows = lines.prefix(sample).map(split)
        return header.enumerated().map { index, name in
            let values = rows.compactMap { index < $0.count ? $0[index] : nil }
            let present = values.filter { !$0.isEmpty }
            var column: [String: JSONValue] = ["name": .string(name), "nullable": .bool(present.count < values.count)]
            if !present.isEmpty && present.allSatisfy({ Int($0) != nil }) {
                column["type"] = "integer"
            } else if !present.isEmpty && present.allSatisfy({ Double($0) != nil }) {
                column["type"] = "number"
            } else if Set(present).count <= 20 {
                column["type"] = "category"
                column["categories"] = .array(Set(present).sorted().map { .string($0) })
            } else {
                column["type"] = "string"
            }
            return .object(column)
        }
    }

    /// One CSV line's fields (RFC 4180 quotes; a sample needs no multi-line fields).
    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; if next == "," { fields.append(field); field = "" } else { field.append(next) } }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}

/// Counts a file's lines in 1 MiB reads, so that even a large file's bar has a total.
enum LineCounter {
    static func lines(in path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var count = 0
        var last: UInt8 = 10
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            last = chunk.last ?? last
        }
        return count + (last == 10 ? 0 : 1)
    }
}
