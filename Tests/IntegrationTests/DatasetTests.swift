import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import PostgresNIO
import Testing

/// Datasets through the running ingestion service: every upload format (plain and gzip), planted
/// bad rows counted exactly, bad input answered with 4xx, idempotent uploads, a kill -9 mid-upload
/// and its retry, raw records from Kafka, schema evolution and tenant isolation.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct DatasetTests {
    typealias HTTP = GatewayStack

    static let schema = #"""
        {"name":"%NAME%","target":"label","columns":[
          {"name":"x1","type":"number"},
          {"name":"x2","type":"integer","minimum":0,"maximum":1000},
          {"name":"colour","type":"category","categories":["red","green","blue"]},
          {"name":"note","type":"string","nullable":true},
          {"name":"label","type":"boolean"}]}
        """#

    /// `count` valid rows; row i is `i*0.5, i%1000, colour, note, i%2==0`.
    static func csv(rows count: Int, from first: Int = 0) -> String {
        var text = "x1,x2,colour,note,label\n"
        for i in first..<(first + count) {
            text += "\(Double(i) * 0.5),\(i % 1000),\(["red", "green", "blue"][i % 3]),\(i % 7 == 0 ? "\"a, \"\"quoted\"\" note\"" : ""),\(i % 2 == 0)\n"
        }
        return text
    }

    static func ndjson(rows count: Int) -> String {
        (0..<count).map { i in
            #"{"x1": \#(Double(i) * 0.5), "x2": \#(i % 1000), "colour": "\#(["red", "green", "blue"][i % 3])", "label": \#(i % 2 == 0)}"#
        }.joined(separator: "\n") + "\n"
    }

    static func gzip(_ data: Data) throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("it-gz-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("body")
        try data.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", file.path]
        try process.run()
        process.waitUntilExit()
        return try Data(contentsOf: directory.appendingPathComponent("body.gz"))
    }

    static func register(_ port: Int, key: String, name: String) async throws -> String {
        let answer = await HTTP.http("POST", port: port, "/v1/datasets", key: key, body: schema.replacingOccurrences(of: "%NAME%", with: name))
        guard answer.status == 201, let id = answer.json["dataset_id"] as? String else { throw SetupError("register: \(answer.status) \(answer.body)") }
        return id
    }

    static func upload(_ port: Int, key: String, dataset: String, _ body: Data, type: String = "text/csv", gzip: Bool = false,
                       idempotencyKey: String? = nil) async throws -> HTTP.HTTPAnswer {
        var headers = ["Content-Type": type]
        if gzip { headers["Content-Encoding"] = "gzip" }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        return await HTTP.http("POST", port: port, "/v1/datasets/\(dataset)/versions", key: key, data: gzip ? try Self.gzip(body) : body, headers: headers)
    }

    /// The dataset events of one dataset on the stack's topic, read until `done` holds them.
    static func events(_ stack: GatewayStack, dataset: String, until done: ([CloudEvent]) -> Bool) async throws -> [CloudEvent] {
        var found: [CloudEvent] = []
        _ = try await eventually(timeout: .seconds(30)) {
            let messages = try await stack.env.readToEnd(stack.topic(.datasets), partitions: 2)
            found = messages.compactMap { message in
                guard let event = try? CloudEvent(kafkaHeader: { name in message.headers.last { $0.name == name }?.value }, value: message.value),
                      event.subject == dataset else { return nil }
                return event
            }
            return done(found)
        }
        return found
    }

    /// Rows of one version as a consumer stores them: placed at `first_row + i`, once.
    static func placedRows(_ events: [CloudEvent], version: Int) throws -> [Int: [JSONValue]] {
        var placed: [Int: [JSONValue]] = [:]
        for event in events where event.type == DatasetRecordsAppended.eventType {
            let batch = try event.decode(as: DatasetRecordsAppended.self)
            guard batch.version == version else { continue }
            for (offset, row) in batch.rows.enumerated() {
                if let earlier = placed[batch.firstRow + offset] { #expect(earlier == row, "row \(batch.firstRow + offset) placed twice with other values") }
                placed[batch.firstRow + offset] = row
            }
        }
        return placed
    }

    static func sealed(_ events: [CloudEvent], version: Int) -> DatasetVersionSealed? {
        events.lazy.filter { $0.type == DatasetVersionSealed.eventType }.compactMap { try? $0.decode(as: DatasetVersionSealed.self) }
            .first { $0.version == version }
    }

    @Test func everyFormatPlainAndGzipIsSealedWithItsRows() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion"], environment: ["INGESTION_DATASET_BATCH_ROWS": "100"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let keys = try await stack.tenant("ds-\(UInt32.random(in: 0...UInt32.max))")
        let developer = try #require(keys["developer"])
        let dataset = try await Self.register(port, key: developer, name: "formats")

        let csv = Data(Self.csv(rows: 1234).utf8), ndjson = Data(Self.ndjson(rows: 500).utf8)
        let array = Data(("[" + Self.ndjson(rows: 300).split(separator: "\n").joined(separator: ",\n") + "]").utf8)
        let uploads: [(Data, String, Bool, Int)] = [
            (csv, "text/csv", false, 1234), (csv, "text/csv; charset=utf-8", true, 1234),
            (ndjson, "application/x-ndjson", false, 500), (ndjson, "application/x-ndjson", true, 500),
            (array, "application/json", false, 300), (array, "application/json", true, 300),
        ]
        var versions: [(Int, Int)] = []
        for (body, type, gzip, rows) in uploads {
            let answer = try await Self.upload(port, key: developer, dataset: dataset, body, type: type, gzip: gzip)
            #expect(answer.status == 201, "\(type) gzip=\(gzip): \(answer.body)")
            #expect(answer.json["status"] as? String == "sealed")
            #expect(answer.json["rows_accepted"] as? Int == rows)
            versions.append((try #require(answer.json["version"] as? Int), rows))
        }
        let events = try await Self.events(stack, dataset: dataset) { events in versions.allSatisfy { Self.sealed(events, version: $0.0) != nil } }
        for (version, rows) in versions {
            let sealed = try #require(Self.sealed(events, version: version), "no DatasetVersionSealed for v\(version)")
            #expect(sealed.rowCount == rows)
            let placed = try Self.placedRows(events, version: version)
            #expect(placed.count == rows && placed.keys.sorted() == Array(0..<rows), "v\(version): every row placed once")
        }
        // Values and statistics of the first CSV version.
        let placed = try Self.placedRows(events, version: versions[0].0)
        #expect(placed[7] == [3.5, 7, "green", "a, \"quoted\" note", false])
        #expect(placed[8] == [4, 8, "blue", nil, true])
        let statistics = try #require(Self.sealed(events, version: versions[0].0)?.columnStatistics)
        #expect(statistics.count == 5)
        #expect(statistics[0].minimum == 0 && statistics[0].maximum == 616.5)
        #expect(statistics[2].categories == ["red": 412, "green": 411, "blue": 411])
        #expect(statistics[3].nullCount == 1234 - 177)
        let median = try #require(statistics[0].quantiles?["0.5"])
        #expect(abs(median - 308) <= 308 * 0.011, "median \(median)")

        // Reading back: the version and the dataset's list.
        let read = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions/\(versions[0].0)", key: keys["viewer"])
        #expect(read.status == 200 && read.json["status"] as? String == "sealed" && read.json["rows_accepted"] as? Int == 1234)
        let page = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions?limit=4", key: keys["viewer"])
        #expect((page.json["items"] as? [Any])?.count == 4 && page.json["next_cursor"] is String)
        #expect(try await stack.stop())
    }

    @Test func plantedBadRowsAreCountedAndTooManyFailTheVersion() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion"], environment: ["INGESTION_MAX_UPLOAD_BYTES": "200000"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let keys = try await stack.tenant("dq-\(UInt32.random(in: 0...UInt32.max))")
        let developer = try #require(keys["developer"])
        let dataset = try await Self.register(port, key: developer, name: "quality")

        // 200 rows, 6 bad (3 %): a wrong type, an unknown category, a value out of range, a
        // missing target, a wrong column count and an unbalanced quote at the very end.
        var lines = Self.csv(rows: 194).split(separator: "\n").map(String.init)
        lines.insert("abc,1,red,,true", at: 11)
        lines.insert("1.5,2,purple,,false", at: 21)
        lines.insert("1.5,2000,red,,false", at: 31)
        lines.insert("1.5,2,red,,", at: 41)
        lines.insert("1.5,2,red,true", at: 51)
        lines.append("1.5,2,red,\"never closed,true")
        let mixed = Data((lines.joined(separator: "\n") + "\n").utf8)
        let answer = try await Self.upload(port, key: developer, dataset: dataset, mixed)
        #expect(answer.status == 201, "\(answer.body)")
        #expect(answer.json["rows_read"] as? Int == 200 && answer.json["rows_rejected"] as? Int == 6 && answer.json["rows_accepted"] as? Int == 194)
        let version = try #require(answer.json["version"] as? Int)
        let report = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions/\(version)/quality", key: keys["viewer"])
        let problems = (report.json["problems"] as? [[String: Any]] ?? []).map { "\($0["column"] as? String ?? "-")/\($0["rule"] as? String ?? "")=\($0["rows"] as? Int ?? 0)" }
        #expect(Set(problems) == ["x1/wrong_type=1", "colour/unknown_category=1", "x2/out_of_range=1", "label/missing_value=1",
                                  "-/wrong_column_count=1", "-/malformed_row=1"], "\(report.body)")
        let rows = (report.json["items"] as? [[String: Any]] ?? []).compactMap { $0["row"] as? Int }
        #expect(rows == [11, 21, 31, 41, 51, 200], "\(report.body)")
        let events = try await Self.events(stack, dataset: dataset) { Self.sealed($0, version: version) != nil }
        let issues = events.filter { $0.type == DataQualityIssueFound.eventType }.compactMap { try? $0.decode(as: DataQualityIssueFound.self) }
        #expect(issues.count == 6 && issues.allSatisfy { $0.version == version && $0.rowsAffected == 1 })
        #expect(try Self.placedRows(events, version: version).count == 194, "no rejected row in the version")

        // 10 % bad: the version fails instead of being sealed.
        var worse = Self.csv(rows: 90).split(separator: "\n").map(String.init)
        worse += Array(repeating: "1,2,red,,maybe", count: 10)
        let failed = try await Self.upload(port, key: developer, dataset: dataset, Data((worse.joined(separator: "\n") + "\n").utf8))
        #expect(failed.status == 422 && failed.errorCode == "too_many_rejected_rows", "\(failed.body)")
        let failedVersion = try #require(Int((failed.json["error"] as? [String: Any])?["details"].flatMap { ($0 as? [String: String])?["version"] } ?? ""))
        let afterFailure = try await Self.events(stack, dataset: dataset) { events in
            events.contains { $0.type == DatasetVersionFailed.eventType && (try? $0.decode(as: DatasetVersionFailed.self))?.version == failedVersion }
        }
        #expect(Self.sealed(afterFailure, version: failedVersion) == nil)
        let state = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions/\(failedVersion)", key: developer)
        #expect(state.json["status"] as? String == "failed" && state.json["failure_reason"] as? String == "too_many_rejected_rows")

        // Bad input: 4xx JSON errors, never a crash.
        let cases: [(Data, [String: String], Int, String)] = [
            (Data("x1,x2,colour,label,bogus\n".utf8), ["Content-Type": "text/csv"], 422, "unknown_column"),
            (Data("x1,x2,colour\n1,2,red\n".utf8), ["Content-Type": "text/csv"], 422, "missing_target"),
            (Data(#"{"x1": 1}"#.utf8), ["Content-Type": "application/json"], 400, "invalid_json"),
            (Data("not gzip at all".utf8), ["Content-Type": "text/csv", "Content-Encoding": "gzip"], 400, "unreadable"),
            (Data("x1,x2\n".utf8), ["Content-Type": "application/xml"], 415, "unsupported_media_type"),
            (Data(Self.csv(rows: 12000).utf8), ["Content-Type": "text/csv"], 413, "payload_too_large"),
        ]
        for (body, headers, status, code) in cases {
            let bad = await HTTP.http("POST", port: port, "/v1/datasets/\(dataset)/versions", key: developer, data: body, headers: headers)
            #expect(bad.status == status && bad.errorCode == code, "\(headers): \(bad.status) \(bad.body)")
        }
        // Invalid UTF-8 is a row problem.
        var invalid = Data(Self.csv(rows: 40).utf8)
        invalid.append(contentsOf: Array("1,2,red,".utf8) + [0xFF, 0xFE] + Array(",true\n".utf8))
        let utf8 = try await Self.upload(port, key: developer, dataset: dataset, invalid)
        #expect(utf8.status == 201 && utf8.json["rows_rejected"] as? Int == 1, "\(utf8.body)")
        #expect(await HTTP.http("GET", port: port, "/health/live", key: nil).status == 200, "still alive after every bad input")
        #expect(try await stack.stop())
    }

    @Test func idempotentUploadsAndAKillMidUploadPlaceEveryRowOnce() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        var stack = try await GatewayStack(env: env, services: ["ingestion"], environment: ["INGESTION_UPLOAD_LEASE_SECONDS": "2"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let keys = try await stack.tenant("dk-\(UInt32.random(in: 0...UInt32.max))")
        let developer = try #require(keys["developer"])
        let dataset = try await Self.register(port, key: developer, name: "crash")

        // The same key and body replay the answer; another body under the key is refused.
        let small = Data(Self.csv(rows: 50).utf8)
        let first = try await Self.upload(port, key: developer, dataset: dataset, small, idempotencyKey: "up-1")
        #expect(first.status == 201)
        let again = try await Self.upload(port, key: developer, dataset: dataset, small, idempotencyKey: "up-1")
        #expect(again.status == 201 && again.body == first.body && again.headers["idempotent-replayed"] == "true", "\(again.body)")
        let other = try await Self.upload(port, key: developer, dataset: dataset, Data(Self.csv(rows: 51).utf8), idempotencyKey: "up-1")
        #expect(other.status == 422 && other.errorCode == "idempotency_key_reused", "\(other.body)")

        // A large upload sent slowly by curl; ingestion is killed once rows are being read.
        let rows = 120_000
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("it-crash-\(UUID()).csv")
        try Data(Self.csv(rows: rows).utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let curl = try ChildProcess(executable: "/usr/bin/curl", arguments: [
            "-sS", "--limit-rate", "400k", "-X", "POST", "-H", "Authorization: Bearer \(developer)", "-H", "Content-Type: text/csv",
            "-H", "Idempotency-Key: big-1", "--data-binary", "@\(file.path)", "http://127.0.0.1:\(port)/v1/datasets/\(dataset)/versions",
        ], environment: ProcessInfo.processInfo.environment)
        var interrupted = 0
        #expect(try await eventually(timeout: .seconds(30)) {
            let receiving = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions?status=receiving", key: developer)
            guard let item = (receiving.json["items"] as? [[String: Any]])?.first, let read = item["rows_read"] as? Int, read > 0 else { return false }
            interrupted = item["version"] as? Int ?? 0
            return true
        }, "the upload never showed progress")
        stack.processes["ingestion"]?.signal(SIGKILL)
        #expect(try await stack.processes["ingestion"]?.waitForExit(timeout: .seconds(10)) == true)
        curl.signal(SIGKILL)
        _ = try await curl.waitForExit(timeout: .seconds(5))
        print("killed ingestion while version \(interrupted) was receiving")

        try stack.start("ingestion")
        #expect(try await stack.ready(), "not ready after restart: \(stack.logs)")
        let body = try Data(contentsOf: file)
        var retried = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(60)) {
            retried = try await Self.upload(port, key: developer, dataset: dataset, body, idempotencyKey: "big-1")
            return retried.status != 409 && retried.status != 0
        })
        #expect(retried.status == 201, "\(retried.body)")
        let version = try #require(retried.json["version"] as? Int)
        #expect(version != interrupted)
        let events = try await Self.events(stack, dataset: dataset) { events in
            Self.sealed(events, version: version) != nil && events.contains {
                $0.type == DatasetVersionFailed.eventType && (try? $0.decode(as: DatasetVersionFailed.self))?.version == interrupted
            }
        }
        #expect(Self.sealed(events, version: version)?.rowCount == rows)
        let placed = try Self.placedRows(events, version: version)
        #expect(placed.count == rows && placed.keys.min() == 0 && placed.keys.max() == rows - 1, "every row placed once")
        let failed = events.filter { $0.type == DatasetVersionFailed.eventType }.compactMap { try? $0.decode(as: DatasetVersionFailed.self) }
        #expect(failed.first { $0.version == interrupted }?.reason == "interrupted")
        let old = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions/\(interrupted)", key: developer)
        #expect(old.json["status"] as? String == "failed", "the interrupted version is failed, never sealed: \(old.body)")
        // The retried upload's key now replays its answer.
        let replay = try await Self.upload(port, key: developer, dataset: dataset, body, idempotencyKey: "big-1")
        #expect(replay.status == 201 && replay.headers["idempotent-replayed"] == "true")
        #expect(try await stack.stop())
    }

    /// A replica starved of CPU or connections writes its heartbeat late; its own sweep must not
    /// fail the upload it is still running. The test keeps the version's heartbeat an hour old
    /// (rewriting it back to back, far faster than the 0.5 s heartbeat) for three sweeps of a 1 s lease,
    /// while curl sends the body slowly: the upload still seals with every row.
    @Test func aLateHeartbeatDoesNotFailAnUploadItsReplicaIsRunning() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion"], environment: ["INGESTION_UPLOAD_LEASE_SECONDS": "1"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let keys = try await stack.tenant("hb-\(UInt32.random(in: 0...UInt32.max))")
        let developer = try #require(keys["developer"])
        let dataset = try await Self.register(port, key: developer, name: "late")
        let rows = 40_000
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("it-late-\(UUID()).csv")
        let body = Data(Self.csv(rows: rows).utf8)
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // About 8 s on the wire.
        let curl = try ChildProcess(executable: "/usr/bin/curl", arguments: [
            "-sS", "-w", "\n%{http_code}", "--limit-rate", "\(body.count / 8)", "-X", "POST", "-H", "Authorization: Bearer \(developer)",
            "-H", "Content-Type: text/csv", "--data-binary", "@\(file.path)", "http://127.0.0.1:\(port)/v1/datasets/\(dataset)/versions",
        ], environment: ProcessInfo.processInfo.environment, logPath: NSTemporaryDirectory() + "it-late-curl-\(UUID()).log")
        var version = 0
        #expect(try await eventually(timeout: .seconds(30)) {
            let receiving = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions?status=receiving", key: developer)
            guard let item = (receiving.json["items"] as? [[String: Any]])?.first, let read = item["rows_read"] as? Int, read > 0 else { return false }
            version = item["version"] as? Int ?? 0
            return true
        }, "the upload never showed progress")

        let client = env.postgres.makeClient(logger: env.logger)
        let table = stack.schema("ingestion") + ".dataset_versions"
        let (aged, receivingAfter) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var aged = 0
            let end = ContinuousClock.now + .seconds(3.2)
            while ContinuousClock.now < end {
                let changed = try await client.query(PostgresQuery(unsafeSQL: """
                    UPDATE \(table) SET heartbeat_at = now() - interval '1 hour'
                    WHERE dataset_id = '\(dataset)' AND version = \(version) AND status = 'receiving' RETURNING version
                    """), logger: env.logger)
                for try await _ in changed.decode(Int.self) { aged += 1 }
            }
            let still = try await client.query(PostgresQuery(unsafeSQL: """
                SELECT status FROM \(table) WHERE dataset_id = '\(dataset)' AND version = \(version)
                """), logger: env.logger)
            var status = ""
            for try await row in still.decode(String.self) { status = row }
            return (aged, status)
        }
        print("DatasetTests: heartbeat of version \(version) set an hour back \(aged) times over 3.2 s; status after: \(receivingAfter)")
        #expect(receivingAfter == "receiving", "the upload was still being sent, and still receiving")
        #expect(try await curl.waitForExit(timeout: .seconds(60)))
        let answer = curl.output
        #expect(answer.hasSuffix("201"), "\(answer.suffix(600))")
        let sealed = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions/\(version)", key: developer)
        #expect(sealed.json["status"] as? String == "sealed" && sealed.json["rows_accepted"] as? Int == rows, "\(sealed.body)")
        #expect(try await stack.stop())
    }

    @Test func rawRecordsSchemaEvolutionAndTenantIsolation() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let suffix = UInt32.random(in: 0...UInt32.max)
        let (a, b) = ("ra-\(suffix)", "rb-\(suffix)")
        let keysA = try await stack.tenant(a), keysB = try await stack.tenant(b)
        let developer = try #require(keysA["developer"]), intruder = try #require(keysB["developer"])
        let dataset = try await Self.register(port, key: developer, name: "stream")

        // 20 raw records, one bad, one naming a dataset that is not the sender's (dead letter).
        for i in 0..<20 {
            var record: [String: JSONValue] = ["x1": .number(Double(i)), "x2": .number(Double(i)), "colour": "red", "label": .bool(i % 2 == 0)]
            if i == 5 { record["colour"] = "purple" }
            try await stack.publish(RawRecordSubmitted(datasetId: dataset, record: record), key: dataset, tenant: a)
        }
        try await stack.publish(RawRecordSubmitted(datasetId: dataset, record: ["x1": 1]), key: dataset, tenant: b)
        var open = 0
        #expect(try await eventually(timeout: .seconds(30)) {
            let versions = await HTTP.http("GET", port: port, "/v1/datasets/\(dataset)/versions?status=open", key: developer)
            guard let item = (versions.json["items"] as? [[String: Any]])?.first, item["rows_read"] as? Int == 20 else { return false }
            open = item["version"] as? Int ?? 0
            return true
        }, "raw records never reached the open version")
        let sealed = await HTTP.http("POST", port: port, "/v1/datasets/\(dataset)/versions/\(open)/seal", key: developer)
        #expect(sealed.status == 200 && sealed.json["rows_accepted"] as? Int == 19 && sealed.json["rows_rejected"] as? Int == 1, "\(sealed.body)")
        let events = try await Self.events(stack, dataset: dataset) { Self.sealed($0, version: open) != nil }
        let placed = try Self.placedRows(events, version: open)
        #expect(placed.keys.sorted() == Array(0..<19))
        let dead = try await env.readAll(stack.topic(.deadLetter), partitions: 2, count: 1)
        #expect(dead.count == 1, "the other tenant's record went to the dead-letter topic")
        #expect(await HTTP.http("POST", port: port, "/v1/datasets/\(dataset)/versions/\(open)/seal", key: developer).errorCode == "version_not_open")

        // Schema evolution: compatible makes schema version 2, incompatible is refused with reasons.
        let evolved = Self.schema.replacingOccurrences(of: "%NAME%", with: "stream")
            .replacingOccurrences(of: #"["red","green","blue"]"#, with: #"["red","green","blue","black"]"#)
            .replacingOccurrences(of: #"{"name":"label","type":"boolean"}]"#, with: #"{"name":"label","type":"boolean"},{"name":"region","type":"string","nullable":true}]"#)
        let compatible = await HTTP.http("PUT", port: port, "/v1/datasets/\(dataset)/schema", key: developer, body: evolved)
        #expect(compatible.status == 200 && compatible.json["schema_version"] as? Int == 2, "\(compatible.body)")
        let retyped = evolved.replacingOccurrences(of: #"{"name":"x1","type":"number"}"#, with: #"{"name":"x1","type":"string"}"#)
        let incompatible = await HTTP.http("PUT", port: port, "/v1/datasets/\(dataset)/schema", key: developer, body: retyped)
        #expect(incompatible.status == 409 && incompatible.errorCode == "incompatible_schema" && incompatible.body.contains("x1 changed type"), "\(incompatible.body)")
        let withRegion = Self.csv(rows: 3).replacingOccurrences(of: "label\n", with: "label,region\n").replacingOccurrences(of: "true\n", with: "true,north\n")
            .replacingOccurrences(of: "false\n", with: "false,\n")
        let upload = try await Self.upload(port, key: developer, dataset: dataset, Data(withRegion.utf8))
        #expect(upload.status == 201 && upload.json["schema_version"] as? Int == 2, "\(upload.body)")
        let changed = try await Self.events(stack, dataset: dataset) { $0.contains { $0.type == DatasetSchemaEvolved.eventType } }
        #expect(changed.contains { $0.type == DatasetSchemaEvolved.eventType })

        // Tenant B sees none of it, on every route.
        let routes: [(String, String)] = [
            ("GET", "/v1/datasets/\(dataset)"), ("GET", "/v1/datasets/\(dataset)/versions"), ("GET", "/v1/datasets/\(dataset)/versions/\(open)"),
            ("GET", "/v1/datasets/\(dataset)/versions/\(open)/quality"), ("PUT", "/v1/datasets/\(dataset)/schema"),
            ("POST", "/v1/datasets/\(dataset)/versions"), ("POST", "/v1/datasets/\(dataset)/versions/\(open)/seal"),
        ]
        for (method, path) in routes {
            let answer = method == "POST" && path.hasSuffix("versions")
                ? await HTTP.http(method, port: port, path, key: intruder, data: Data(Self.csv(rows: 2).utf8), headers: ["Content-Type": "text/csv"])
                : await HTTP.http(method, port: port, path, key: intruder, body: method == "GET" ? nil : evolved)
            #expect(answer.status == 404 && answer.errorCode == "unknown_dataset", "\(method) \(path): \(answer.status) \(answer.body)")
        }
        let listB = await HTTP.http("GET", port: port, "/v1/datasets", key: intruder)
        #expect((listB.json["items"] as? [Any])?.isEmpty == true)
        let listA = await HTTP.http("GET", port: port, "/v1/datasets", key: keysA["viewer"])
        #expect((listA.json["items"] as? [[String: Any]])?.first?["dataset_id"] as? String == dataset)
        #expect(try await stack.stop())
    }
}
