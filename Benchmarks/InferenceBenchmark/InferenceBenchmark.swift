import BenchmarkSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEvents
import IntelliCoreEventBus
import IntelliCoreKafka
import IntelliCoreModels
import Logging

/// End to end through Kafka against a running inference service (`./intellicore dev up`):
/// registers a 32-64-64-2 MLP, produces N `PredictionRequested` at an offered rate, consumes
/// every answer, and prints sustained predictions/s and request-to-result latency percentiles.
///
/// Payloads carry numbers as clients write them: by default full precision, the way Python's
/// `json.dumps` writes float32 values widened to float64 (`0.10000000149011612`); `--short-numbers`
/// writes 3 decimals instead. With `--backlog` and `--python`, a Python worker (confluent-kafka +
/// numpy, `python_worker.py`) then drains the same requests on the same broker, and the ratio of
/// the two drain rates is printed. A second, smaller backlog is then drained with the service's
/// calls to the C library's allocation functions counted (uprobes through `perf probe`, root only).
///   inference-benchmark [--requests 200000] [--rate 0 (as fast as possible)] [--rows 1] [--linger 5] [--backlog]
///                       [--short-numbers] [--python PATH (the venv's python; backlog mode only)]
///                       [--allocations 20000 (requests of a second drain with allocations counted by uprobes; 0: none)]
///                       [--service-pid PID] [--broker-pid PID] (CPU per prediction; --backlog pauses the service)
///                       [--bootstrap 127.0.0.1:19092] [--http http://127.0.0.1:19083]
@main
struct InferenceBenchmark {
    static func main() async throws {
        let options = Options(CommandLine.arguments.dropFirst())
        var logger = Logger(label: "inference-benchmark")
        logger.logLevel = .warning
        let model = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: options.bootstrap, lingerMilliseconds: options.linger), logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: options.bootstrap, logger: logger)
        let names = TopicNames()
        let resultPartitions = try await admin.topics()[names[.predictionResults]] ?? 8

        var generator = SeededGenerator(seed: 2026)
        let artifact = FeedForwardArtifact.randomMLP(widths: [32, 64, 64, 2], using: &generator)
        // The benchmark's tenant and an API key for the readiness check, as ingestion would issue them.
        // A fresh key id per run: a key id is issued once (services refuse a second hash for it).
        let run = UInt64.random(in: 0...UInt64.max)
        let apiKey = "bench-\(run)"
        let keyHash = Array(apiKey.utf8).withUnsafeBytes { ContentDigest.sha256Hex(of: $0, byteCount: 32) }
        for event in [try CloudEvent(TenantCreated(tenantId: "bench", name: "bench", plan: "bench"), source: "/bench", tenantId: "bench"),
                      try CloudEvent(ApiKeyIssued(tenantId: "bench", keyId: "bench-key-\(run)", keyHash: keyHash, role: .viewer),
                                     source: "/bench", tenantId: "bench")] {
            try await producer.send(KafkaProducerMessage(event: event, topic: names[.tenants], key: "bench"))
        }
        for event in [try CloudEvent(ModelVersionRegistered(modelName: model, version: 1, tenantId: "bench", algorithm: "mlp",
                                                            artifact: try ArtifactCodec.encode(artifact), metrics: [:], parameters: [:]),
                                     source: "/bench", tenantId: "bench"),
                      try CloudEvent(ModelDeployed(modelName: model, alias: ModelAlias.champion, version: 1, trafficPolicy: .single(1)),
                                     source: "/bench", tenantId: "bench")] {
            try await producer.send(KafkaProducerMessage(event: event, topic: names[.models], key: model))
        }
        guard try await waitUntilReady("\(options.http)/v1/inference/models/\(model)/ready", apiKey: apiKey) else {
            report("inference did not load \(model) in 60 s; is ./intellicore dev up running?"); exit(1)
        }

        // Results consumer positioned at the end before anything is produced.
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: options.bootstrap, groupId: nil), logger: logger)
        try consumer.assign((0..<resultPartitions).map { KafkaTopicPartition(topic: names[.predictionResults], partition: Int32($0), offset: KafkaOffset.end) })
        _ = try await consumer.poll(maxMessages: 1, timeout: .seconds(2))

        // Requests prepared up front so producing measures the platform, not the benchmark.
        // Built as text the way an outside producer would; Codable would take ~40 µs a request here.
        let template = try CloudEvent(PredictionRequested(id: "", modelName: model, inputs: []), source: "/bench", tenantId: "bench")
        func makeRequests(_ range: Range<Int>) -> [KafkaProducerMessage] {
            range.map { i in
                let values = (0..<32 * options.rows).map { _ -> String in
                    let value = Double.random(in: -2...2, using: &generator)
                    return options.shortNumbers ? String((value * 1000).rounded() / 1000) : "\(Double(Float(value)))"
                }
                let json = "{\"id\":\"b\(i)\",\"model_name\":\"\(model)\",\"inputs\":[{\"name\":\"input\",\"shape\":[\(options.rows),32],"
                    + "\"datatype\":\"FP32\",\"data\":[\(values.joined(separator: ","))]}]}"
                var event = template
                event.id = "bench-\(i)-\(model)"
                event.subject = "b\(i)"
                event.data = Array(json.utf8)
                return KafkaProducerMessage(event: event, topic: names[.predictionRequests], key: "entity-\(i)")
            }
        }
        let requests = makeRequests(0..<options.requests)
        report("model \(model): \(options.requests) requests of \(options.rows) row(s), offered \(options.rate == 0 ? "as fast as possible" : "\(options.rate)/s"), \(requests[0].value!.count)-byte payloads (\(options.shortNumbers ? "3-decimal" : "full-precision") numbers)")
        // Where this run's requests begin, for the Python peer that drains the same ones afterwards.
        let requestPartitions = try await admin.topics()[names[.predictionRequests]] ?? 8
        let starts = try await consumer.endOffsets((0..<requestPartitions).map { KafkaTopicPartition(topic: names[.predictionRequests], partition: Int32($0)) })

        if options.backlog && options.servicePid == nil {
            report("--backlog needs --service-pid (the inference service's process id)"); exit(2)
        }
        let cpu = CPUAccount(processes: [("inference service", options.servicePid), ("broker", options.brokerPid), ("this generator", getpid())])
        let clock = ContinuousClock()
        let origin = clock.now
        // Backlog mode: the service is stopped (SIGSTOP) while every request is produced, then
        // resumed, so the drain rate is the service's own capacity with the generator idle.
        if options.backlog, let pid = options.servicePid { kill(pid, SIGSTOP) }
        // Sends in chunks on schedule, never waiting for one chunk's acknowledgements before the
        // next is due (up to 64 chunks in flight), so the offered load is what was asked for.
        let sender = Task { () -> (sentAt: [Double], acknowledged: [Double]) in
            var sentAt = [Double](repeating: 0, count: requests.count)
            var acknowledged: [Double] = []
            let chunk = options.rate == 0 ? 2000 : max(1, options.rate / 1000)
            try await withThrowingTaskGroup(of: Double.self) { group in
                var index = 0, inFlight = 0
                while index < requests.count {
                    if options.rate > 0 {
                        let due = origin + .nanoseconds(Int64(Double(index) / Double(options.rate) * 1e9))
                        if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                    }
                    if inFlight >= 64, let acked = try await group.next() { acknowledged.append(acked); inFlight -= 1 }
                    let end = min(index + chunk, requests.count)
                    let now = (clock.now - origin) / .seconds(1)
                    for i in index..<end { sentAt[i] = now }
                    let batch = Array(requests[index..<end])
                    group.addTask {
                        for result in try await producer.send(batch) { _ = try result.get() }
                        return (clock.now - origin) / .seconds(1) - now
                    }
                    inFlight += 1
                    index = end
                }
                for try await acked in group { acknowledged.append(acked) }
            }
            return (sentAt, acknowledged)
        }

        var drainStart = 0.0
        if options.backlog, let pid = options.servicePid {
            do {
                _ = try await sender.value
            } catch {
                kill(pid, SIGCONT)
                throw error
            }
            drainStart = (clock.now - origin) / .seconds(1)
            kill(pid, SIGCONT)
            report(String(format: "backlog of %d requests produced in %.2f s with the service stopped; service resumed", options.requests, drainStart))
        }

        var latencies: [Double] = []
        latencies.reserveCapacity(options.requests)
        var receivedAt = [Double](repeating: -1, count: options.requests)
        var answered = 0, failed = 0
        // Where the time goes, from the answers' own timings and Kafka timestamps (wall clock, ms).
        var toService: [Double] = [], inService: [Double] = [], backHop: [Double] = []
        let deadline = clock.now + .seconds(300)
        while answered < options.requests && clock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 5000, timeout: .milliseconds(50))
            let now = (clock.now - origin) / .seconds(1)
            let wallNow = Date().timeIntervalSince1970
            for message in batch {
                guard let subject = message.headerString(named: CloudEventHeader.subject), subject.hasPrefix("b"),
                      let index = Int(subject.dropFirst()), index < options.requests, receivedAt[index] < 0 else { continue }
                receivedAt[index] = now
                answered += 1
                if !message.header(named: CloudEventHeader.type, equals: PredictionCompleted.eventType) { failed += 1; continue }
                if let value = message.value, let queue = number(after: "\"queue_seconds\":", in: value),
                   let total = number(after: "\"total_seconds\":", in: value), let produced = message.timestampMilliseconds {
                    toService.append(queue)
                    inService.append(total - queue)
                    backHop.append(wallNow - Double(produced) / 1000)
                }
            }
        }
        let (sentAt, acknowledged) = try await sender.value
        for i in 0..<options.requests where receivedAt[i] >= 0 { latencies.append(receivedAt[i] - sentAt[i]) }
        latencies.sort()
        let firstSent = sentAt.min() ?? 0, lastReceived = receivedAt.max() ?? 0
        func percentile(_ p: Double) -> Double { BenchmarkSupport.percentile(latencies, p) * 1000 }
        if options.backlog {
            report(String(format: "drained %d/%d (%d failed) in %.2f s after resuming the service: %.0f predictions/s (%.0f rows/s)",
                          answered, options.requests, failed, lastReceived - drainStart, Double(answered) / (lastReceived - drainStart),
                          Double(answered * options.rows) / (lastReceived - drainStart)))
            report(cpu.summary(per: answered))
            let serviceCPU = cpu.seconds(of: "inference service", per: answered)
            if let python = options.python {
                let rate = Double(answered) / (lastReceived - drainStart)
                try await runPythonPeer(python, starts: starts, layers: artifact.layers, resultPartitions: resultPartitions, run: run,
                                        inferenceRate: rate, inferenceCPU: serviceCPU, options: options, admin: admin)
            }
            if options.allocations > 0, let pid = options.servicePid {
                let extra = makeRequests(options.requests..<(options.requests + options.allocations))
                try await countAllocations(pid: pid, requests: extra, firstIndex: options.requests, producer: producer, consumer: consumer, options: options)
            }
            await consumer.close()
            await producer.shutdown()
            return
        }
        report(String(format: "answered %d/%d (%d failed) in %.2f s: sustained %.0f predictions/s (%.0f rows/s)",
                      answered, options.requests, failed, lastReceived - firstSent, Double(answered) / (lastReceived - firstSent),
                      Double(answered * options.rows) / (lastReceived - firstSent)))
        report(String(format: "latency request→result: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms",
                      percentile(0.5), percentile(0.9), percentile(0.99), (latencies.last ?? .nan) * 1000))
        func line(_ name: String, _ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "  %@ p50 %.1f ms  p99 %.1f ms", name, BenchmarkSupport.percentile(sorted, 0.5) * 1000,
                          BenchmarkSupport.percentile(sorted, 0.99) * 1000)
        }
        report(cpu.summary(per: answered))
        report("where the time goes (wall clock, ms resolution):")
        report(line("generator send → broker acknowledgement   ", acknowledged))
        report(line("request produced → service batch start    ", toService))
        report(line("service batch start → answer built        ", inService))
        report(line("answer produced → received by generator   ", backHop))
        await consumer.close()
        await producer.shutdown()
    }

    /// Drains the same requests with the Python worker on the same broker, answering on a topic of
    /// its own, and prints its rate, its CPU per prediction and the ratio.
    static func runPythonPeer(_ python: String, starts: [KafkaTopicPartition], layers: [DenseLayerSpec], resultPartitions: Int, run: UInt64,
                              inferenceRate: Double, inferenceCPU: Double?, options: Options, admin: KafkaAdmin) async throws {
        let names = TopicNames()
        let results = "\(names[.predictionResults]).python-peer-\(run)"
        try await admin.createTopics([KafkaTopicSpec(name: results, partitions: resultPartitions)])
        let weights = NSTemporaryDirectory() + "inference-benchmark-\(run).json"
        try JSONEncoder().encode(["layers": layers]).write(to: URL(fileURLWithPath: weights))
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python_worker.py").path
        let cpuBefore = childrenCPUSeconds()
        let output = try runProcess(python, [script, "--bootstrap", options.bootstrap, "--topic", names[.predictionRequests], "--results", results,
                                             "--starts", starts.map { "\($0.partition):\($0.offset)" }.joined(separator: ","),
                                             "--weights", weights, "--count", String(options.requests)])
        let cpuSeconds = childrenCPUSeconds() - cpuBefore
        guard let peer = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Double],
              let processed = peer["processed"], let seconds = peer["seconds"], processed > 0, seconds > 0 else {
            report("the Python worker failed: \(output.prefix(500))"); exit(1)
        }
        report(String(format: "Python worker (confluent-kafka + numpy, micro-batches of 512, no validation): drained %.0f in %.2f s = %.0f predictions/s, CPU per prediction %.1f µs",
                      processed, seconds, processed / seconds, cpuSeconds / processed * 1e6))
        report(String(format: "ratio inference / Python worker: %.2f×", inferenceRate / (processed / seconds)))
        // The drain rates above include the broker, which takes more CPU per prediction than the
        // service on a small machine; this ratio is the two consumers' own work.
        if let inferenceCPU, inferenceCPU > 0 {
            report(String(format: "CPU per prediction, Python worker / inference service: %.2f×", cpuSeconds / processed / inferenceCPU))
        }
    }

    /// Drains a second, smaller backlog with the service's allocations counted by uprobes on the
    /// C library's allocation functions (`perf probe`, root only): a probe costs microseconds a
    /// call, so this runs apart from the timed drain. Batches are counted from the service's
    /// `intellicore_inference_batch_processing_seconds_count`.
    static func countAllocations(pid: pid_t, requests: [KafkaProducerMessage], firstIndex: Int, producer: KafkaProducer,
                                 consumer: KafkaConsumer, options: Options) async throws {
        // Read to the end: /proc files report no size, and a sized read stops at the first page.
        guard let maps = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/maps")).readToEnd()).flatMap({ $0 }).map({ String(decoding: $0, as: UTF8.self) }),
              let libc = maps.split(separator: "\n").compactMap({ $0.split(separator: " ").last.map(String.init) }).first(where: { $0.contains("/libc.so") }) else {
            report("allocations: not counted (the service's C library was not found in /proc/\(pid)/maps)"); return
        }
        var events: [String] = []
        for function in ["malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"] {
            let added = try runProcess("/usr/bin/env", ["perf", "probe", "-q", "-x", libc, "--add", "ic_\(function)=\(function)"], errors: true)
            if added.contains("rror") || added.contains("not found") { continue }
            events.append("probe_libc:ic_\(function)")
        }
        defer { _ = try? runProcess("/usr/bin/env", ["perf", "probe", "-q", "-d", "probe_libc:ic_*"], errors: true) }
        guard !events.isEmpty else {
            report("allocations: not counted (perf probe could not place uprobes on \(libc); it needs root and perf)"); return
        }
        let batchesBefore = try await batchCount(options.http)
        kill(pid, SIGSTOP)
        do {
            for result in try await producer.send(requests) { _ = try result.get() }
        } catch {
            kill(pid, SIGCONT)
            throw error
        }
        let output = NSTemporaryDirectory() + "inference-allocations-\(pid).csv"
        let perf = Process()
        perf.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Counts per 100 ms interval, summed afterwards: perf inherits a mask that blocks SIGINT
        // from the spawning thread, so it is killed rather than asked to print a total.
        perf.arguments = ["perf", "stat", "-I", "100", "-x", ",", "-o", output, "-e", events.joined(separator: ","), "-p", String(pid)]
        try perf.run()
        try await Task.sleep(for: .milliseconds(500)) // the probes are in place before the service runs again
        kill(pid, SIGCONT)
        var answered = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while answered < requests.count && ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 5000, timeout: .milliseconds(50)) {
                guard let subject = message.headerString(named: CloudEventHeader.subject), subject.hasPrefix("b"),
                      let index = Int(subject.dropFirst()), index >= firstIndex else { continue }
                answered += 1
            }
        }
        try await Task.sleep(for: .milliseconds(300)) // the last interval is written
        kill(perf.processIdentifier, SIGKILL)
        perf.waitUntilExit()
        let batches = try await batchCount(options.http) - batchesBefore
        // Interval lines: time,count,unit,event,…
        var perEvent: [String: Double] = [:]
        for line in ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 3, let value = Double(fields[1]) else { continue }
            perEvent[String(fields[3]).replacingOccurrences(of: "probe_libc:ic_", with: ""), default: 0] += value
        }
        let counts = perEvent.sorted { $0.value > $1.value }.map { ($0.key, $0.value) }
        try? FileManager.default.removeItem(atPath: output)
        let total = counts.reduce(0) { $0 + $1.1 }
        guard answered > 0, batches > 0, total > 0 else {
            report("allocations: not counted (answered \(answered), batches \(batches), perf read \(counts))"); return
        }
        report(String(format: "allocations (uprobes on %@, %d requests, %.0f batches of %.0f on average): %.0f per batch, %.1f per prediction (%@)",
                      (libc as NSString).lastPathComponent, answered, batches, Double(answered) / batches, total / batches, total / Double(answered),
                      counts.map { String(format: "%@ %.0f", $0.0, $0.1) }.joined(separator: ", ")))
    }

    /// Batches the service has processed, from its Prometheus metrics.
    static func batchCount(_ http: String) async throws -> Double {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "\(http)/metrics")!)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("intellicore_inference_batch_processing_seconds_count") }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
    }

    /// The JSON number after `key` in `bytes` (enough for the answers' `timings` object).
    static func number(after key: String, in bytes: [UInt8]) -> Double? {
        let pattern = Array(key.utf8)
        guard bytes.count > pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            guard bytes[start..<start + pattern.count].elementsEqual(pattern) else { continue }
            var end = start + pattern.count
            while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: "}") { end += 1 }
            return Double(String(decoding: bytes[(start + pattern.count)..<end], as: UTF8.self))
        }
        return nil
    }

    static func waitUntilReady(_ url: String, apiKey: String) async throws -> Bool {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        for _ in 0..<600 {
            if let (_, response) = try? await URLSession.shared.data(for: request),
               (response as? HTTPURLResponse)?.statusCode == 200 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

struct Options {
    var requests = 200_000
    var rate = 0
    var rows = 1
    /// The load generator's own producer linger (librdkafka `linger.ms`).
    var linger = 5
    var bootstrap = "127.0.0.1:19092"
    var http = "http://127.0.0.1:19083"
    /// Produce everything with the service stopped, then measure how fast it drains the backlog.
    var backlog = false
    /// Numbers with 3 decimals instead of full precision.
    var shortNumbers = false
    /// The Python interpreter for the peer worker (backlog mode).
    var python: String?
    /// Requests of the allocation-count drain after the timed one (backlog mode; 0: none).
    var allocations = 20_000
    /// Processes whose CPU time is reported per prediction (and the service paused in backlog mode).
    var servicePid: pid_t?
    var brokerPid: pid_t?

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            if flag == "--backlog" { backlog = true; continue }
            if flag == "--short-numbers" { shortNumbers = true; continue }
            let value = iterator.next() ?? ""
            switch flag {
            case "--service-pid": servicePid = pid_t(value)
            case "--broker-pid": brokerPid = pid_t(value)
            case "--requests": requests = Int(value) ?? requests
            case "--rate": rate = Int(value) ?? rate
            case "--rows": rows = Int(value) ?? rows
            case "--linger": linger = Int(value) ?? linger
            case "--bootstrap": bootstrap = value
            case "--http": http = value
            case "--python": python = value
            case "--allocations": allocations = Int(value) ?? allocations
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
            }
        }
        // Checked before the run: a wrong path would otherwise fail only after the backlog drained.
        if let python, !FileManager.default.isExecutableFile(atPath: python) {
            FileHandle.standardError.write(Data("--python \(python): no executable there (the project's venv: $INTELLICORE_PYTHON/bin/python)\n".utf8))
            exit(2)
        }
    }
}
