import BenchmarkSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import Logging

/// Synchronous predictions through the gateway against a running local platform
/// (`./intellicore dev up`), measured by `wrk` (Debian's HTTP load generator) at a fixed number of
/// connections, beside the same model over Kafka directly with as many requests in flight.
///   gateway-benchmark --gateway http://127.0.0.1:PORT --admin-key-file FILE [--connections 64] [--duration 20]
///                     [--bootstrap 127.0.0.1:19092] [--ingestion-pid P --inference-pid P --broker-pid P]
@main
struct GatewayBenchmark {
    static func main() async throws {
        let options = Options(CommandLine.arguments.dropFirst())
        var logger = Logger(label: "gateway-benchmark")
        logger.logLevel = .warning
        let adminKey = try String(contentsOfFile: options.adminKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let run = UInt32.random(in: 0...UInt32.max)
        let tenant = "gwbench-\(run)", model = "gwbench"

        // A tenant and a developer key from the gateway, like any user.
        let apiKey = try await benchmarkTenant(gateway: options.gateway, adminKey: adminKey, tenant: tenant, name: "gateway benchmark", plan: "bench")

        // The model of inference-benchmark (32-64-64-2 MLP), registered and deployed as the orchestrator would.
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: options.bootstrap), logger: logger)
        var generator = SeededGenerator(seed: 2026)
        let artifact = FeedForwardArtifact.randomMLP(widths: [32, 64, 64, 2], using: &generator)
        let names = TopicNames()
        for event in [try CloudEvent(ModelVersionRegistered(modelName: model, version: 1, tenantId: tenant, algorithm: "mlp",
                                                            artifact: try ArtifactCodec.encode(artifact), metrics: [:], parameters: [:]),
                                     source: "/bench", tenantId: tenant),
                      try CloudEvent(ModelDeployed(modelName: model, alias: ModelAlias.champion, version: 1, trafficPolicy: .single(1)),
                                     source: "/bench", tenantId: tenant)] {
            try await producer.send(KafkaProducerMessage(event: event, topic: names[.models], key: model))
        }
        let values = (0..<32).map { _ in String(Float.random(in: -2...2, using: &generator)) }.joined(separator: ",")
        let body = #"{"inputs":[{"name":"input","shape":[1,32],"datatype":"FP32","data":[\#(values)]}]}"#
        let inferURL = "\(options.gateway)/v2/models/\(model)/infer"
        var answered = false
        for _ in 0..<600 where !answered {
            answered = (try? await http("POST", inferURL, key: apiKey, body: body, expect: 200)) != nil
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard answered else { report("no answer through the gateway in 60 s; is ./intellicore dev up running?"); exit(1) }
        report("gateway benchmark: tenant \(tenant), model \(model) (32-64-64-2), \(body.utf8.count)-byte requests, "
               + "\(options.connections) connections, \(options.duration) s per run")

        // 1. Through the gateway, measured by wrk.
        let script = NSTemporaryDirectory() + "gateway-benchmark-\(run).lua"
        try """
            wrk.method = "POST"
            wrk.body = '\(body)'
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Authorization"] = "Bearer \(apiKey)"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let threads = min(2, options.connections)
        let cpu = CPUAccount(processes: [("gateway", options.ingestionPid), ("inference", options.inferencePid), ("broker", options.brokerPid)])
        let output = try runWrk(["-t\(threads)", "-c\(options.connections)", "-d\(options.duration)s", "--latency", "--timeout", "10s", "-s", script, inferURL])
        report(output.trimmingCharacters(in: .newlines))
        if let refused = output.split(separator: "\n").first(where: { $0.contains("Non-2xx") }) {
            report("  NOT VALID: \(refused.trimmingCharacters(in: .whitespaces)) — the figures above include refusals "
                   + "(is the tenant's plan rate-limited? ./intellicore bench gateway puts plan bench at 1,000,000/s)")
        }
        if let requests = wrkRequests(output) { report("  " + cpu.summary(per: requests)) }

        // 2. The same model over Kafka directly: as many requests in flight, each answered request replaced at once.
        let direct = try await kafkaClosedLoop(options: options, tenant: tenant, model: model, body: body, logger: logger)
        report(String(format: "over Kafka directly, %d in flight: %.0f predictions/s, latency p50 %.1f ms, p99 %.1f ms (%d answers)",
                      options.connections, direct.rate, direct.p50 * 1000, direct.p99 * 1000, direct.count))
        await producer.shutdown()
    }

    /// Runs `wrk` and returns what it printed.
    static func runWrk(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wrk"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkError("wrk exited with \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The number of requests wrk completed ("N requests in …").
    static func wrkRequests(_ output: String) -> Int? {
        output.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
    }

    struct DirectResult {
        let rate: Double
        let p50: Double
        let p99: Double
        let count: Int
    }

    static func kafkaClosedLoop(options: Options, tenant: String, model: String, body: String, logger: Logger) async throws -> DirectResult {
        let names = TopicNames()
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: options.bootstrap, lingerMilliseconds: 1), logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: options.bootstrap, logger: logger)
        let partitions = try await admin.topics()[names[.predictionResults]] ?? 1
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: options.bootstrap, groupId: nil), logger: logger)
        try consumer.assign((0..<partitions).map { KafkaTopicPartition(topic: names[.predictionResults], partition: Int32($0), offset: KafkaOffset.end) })
        _ = try await consumer.poll(maxMessages: 1, timeout: .seconds(2))
        let template = try CloudEvent(PredictionRequested(id: "", modelName: model, inputs: []), source: "/bench", tenantId: tenant)
        let prefix = "direct-\(UInt32.random(in: 0...UInt32.max))-"
        var sequence = 0
        func request() -> KafkaProducerMessage {
            sequence += 1
            var event = template
            event.id = prefix + String(sequence)
            event.subject = prefix + String(sequence)
            event.data = Array(body.replacingOccurrences(of: #"{"inputs""#, with: #"{"id":"\#(prefix)\#(sequence)","model_name":"\#(model)","inputs""#).utf8)
            return KafkaProducerMessage(event: event, topic: names[.predictionRequests], key: "entity-\(sequence % 1000)")
        }
        let clock = ContinuousClock()
        var sent: [String: ContinuousClock.Instant] = [:]
        var latencies: [Double] = []
        let start = clock.now, end = start + .seconds(options.duration)
        var batch: [KafkaProducerMessage] = []
        for _ in 0..<options.connections {
            let message = request()
            sent[message.headers.string(named: CloudEventHeader.subject)!] = clock.now
            batch.append(message)
        }
        _ = try await producer.enqueue(batch)
        while clock.now < end {
            batch = []
            for message in try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(20)) {
                guard let subject = message.headers.string(named: CloudEventHeader.subject), let at = sent.removeValue(forKey: subject) else { continue }
                latencies.append((clock.now - at) / .seconds(1))
                let next = request()
                sent[next.headers.string(named: CloudEventHeader.subject)!] = clock.now
                batch.append(next)
            }
            if !batch.isEmpty { _ = try await producer.enqueue(batch) }
        }
        let elapsed = (clock.now - start) / .seconds(1)
        await producer.shutdown()
        await consumer.close()
        latencies.sort()
        return DirectResult(rate: Double(latencies.count) / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99),
                            count: latencies.count)
    }
}


struct Options {
    var gateway = "http://127.0.0.1:8081"
    var adminKeyFile = ".intellicore/dev/admin-key"
    var bootstrap = "127.0.0.1:19092"
    var connections = 64
    var duration = 20
    var ingestionPid: pid_t?
    var inferencePid: pid_t?
    var brokerPid: pid_t?

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { FileHandle.standardError.write(Data("\(flag) needs a value\n".utf8)); exit(2) }
            switch flag {
            case "--gateway": gateway = value
            case "--admin-key-file": adminKeyFile = value
            case "--bootstrap": bootstrap = value
            case "--connections": connections = Int(value) ?? connections
            case "--duration": duration = Int(value) ?? duration
            case "--ingestion-pid": ingestionPid = pid_t(value)
            case "--inference-pid": inferencePid = pid_t(value)
            case "--broker-pid": brokerPid = pid_t(value)
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
            }
        }
    }
}
