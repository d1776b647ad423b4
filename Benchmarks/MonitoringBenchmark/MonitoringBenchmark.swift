import BenchmarkSupport
import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCoreOIP
import Logging

/// How many prediction answers per second monitoring absorbs, on a backlog, against a running
/// platform (`./intellicore dev up`): a new tenant's model (three features, a training baseline)
/// is registered and deployed, monitoring is paused (SIGSTOP), `--answers` answers — the JSON
/// inference writes — and as many requests are produced, monitoring is resumed (SIGCONT) and
/// timed until its 5-minute window (read through its API) counts every answer. Prints answers/s,
/// the CPU per answer of monitoring and the broker, and how busy the machine was. Inputs are
/// sampled for drift at monitoring's configured rate; answers are never sampled. The other
/// consumers of the prediction topics (`--other-pids`: billing and inference) are paused too
/// unless `--others running`: on this two-core machine they would compete with monitoring for
/// the same cores, and what is measured is monitoring's capacity.
///   monitoring-benchmark --bootstrap HOST:PORT --gateway URL --monitoring URL --admin-key-file F --monitoring-pid P
///                        [--broker-pid P] [--other-pids P,Q] [--others paused|running] [--answers 1000000] [--sample-rate 0.25]
@main
struct MonitoringBenchmark {
    static func main() async throws {
        var options: [String: String] = [:]
        let arguments = Array(CommandLine.arguments.dropFirst())
        for index in stride(from: 0, to: arguments.count - 1, by: 2) { options[arguments[index]] = arguments[index + 1] }
        guard let bootstrap = options["--bootstrap"], let gateway = options["--gateway"], let monitoring = options["--monitoring"],
              let keyFile = options["--admin-key-file"], let pid = options["--monitoring-pid"].flatMap({ pid_t($0) }) else {
            FileHandle.standardError.write(Data("""
                usage: monitoring-benchmark --bootstrap HOST:PORT --gateway URL --monitoring URL --admin-key-file F --monitoring-pid P \
                [--broker-pid P] [--other-pids P,Q] [--others paused|running] [--answers 1000000]

                """.utf8))
            exit(2)
        }
        let count = Int(options["--answers"] ?? "") ?? 1_000_000
        var logger = Logger(label: "monitoring-benchmark")
        logger.logLevel = .warning
        let adminKey = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let tenant = "monbench-\(UInt32.random(in: 0...UInt32.max))"
        let key = try await benchmarkTenant(gateway: gateway, adminKey: adminKey, tenant: tenant, name: "monitoring benchmark", plan: "free")
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)

        // 1. The model monitoring compares inputs with, then wait until monitoring knows it (and the key).
        let schema = InputSchema(tensorName: "input", features: [
            FeatureSpec(name: "tenure", preprocessing: .standardize(mean: 50, standardDeviation: 29)),
            FeatureSpec(name: "spend", preprocessing: .standardize(mean: 100, standardDeviation: 58)),
            FeatureSpec(name: "plan", preprocessing: .oneHot(categories: ["free", "pro", "team"])),
        ])
        var generator = SystemRandomNumberGenerator()
        let artifact = FeedForwardArtifact(inputSchema: schema, layers: [
            DenseLayerSpec(inputs: 5, outputs: 2, activation: .softmax, weights: (0..<10).map { _ in Float.random(in: -1...1, using: &generator) },
                           bias: [0, 0]),
        ], outputName: "probabilities")
        let baseline = [
            FeatureBaseline(feature: "tenure", bucketEdges: stride(from: 10.0, through: 90, by: 10).map { $0 }, bucketFractions: Array(repeating: 0.1, count: 10)),
            FeatureBaseline(feature: "spend", bucketEdges: stride(from: 20.0, through: 180, by: 20).map { $0 }, bucketFractions: Array(repeating: 0.1, count: 10)),
            FeatureBaseline(feature: "plan", bucketEdges: [0.5, 1.5], bucketFractions: [0.5, 0.3, 0.2]),
        ]
        let registered = ModelVersionRegistered(modelName: "churn", version: 1, tenantId: tenant, algorithm: "mlp", artifact: try ArtifactCodec.encode(artifact),
                                                metrics: [:], parameters: [:], featureBaseline: baseline)
        for event in [try CloudEvent(registered, source: "/bench", subject: "churn", tenantId: tenant),
                      try CloudEvent(ModelDeployed(modelName: "churn", alias: "champion", version: 1, trafficPolicy: .single(1)), source: "/bench",
                                     subject: "churn", tenantId: tenant)] {
            _ = try await producer.send(KafkaProducerMessage(event: event, topic: "intellicore.models", key: "churn"))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let data = try? await http("GET", "\(monitoring)/v1/monitoring/models", key: key, body: nil, expect: 200),
               ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["items"] as? [Any])?.count == 1 { break }
            guard ContinuousClock.now < deadline else { throw BenchmarkError("monitoring did not learn the model within 60 s") }
            try await Task.sleep(for: .milliseconds(200))
        }

        // 2. The backlog, produced while monitoring is paused: answers as inference writes them,
        //    and the requests they answer (three features, full-precision numbers).
        let others = options["--others"] ?? "paused"
        guard others == "paused" || others == "running" else {
            FileHandle.standardError.write(Data("--others is paused or running\n".utf8))
            exit(2)
        }
        let paused = others == "paused" ? (options["--other-pids"] ?? "").split(separator: ",").compactMap { pid_t($0) } : []
        for other in paused { kill(other, SIGSTOP) }
        defer { for other in paused { kill(other, SIGCONT) } }
        kill(pid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        let started = ContinuousClock.now
        var payloadBytes = 0
        for first in stride(from: 0, to: count, by: 20_000) {
            var messages: [KafkaProducerMessage] = []
            for index in first..<min(first + 20_000, count) {
                let id = "\(tenant)-\(index)"
                let request = try CloudEvent(PredictionRequested(id: id, modelName: "churn", inputs: [
                    InferenceTensor(name: "input", shape: [1, 3], datatype: "FP32",
                                    data: .numbers([Double.random(in: 0..<100), Double.random(in: 0..<200), Double(index % 3)])),
                ]), source: "/bench", subject: "churn", tenantId: tenant, id: id)
                messages.append(KafkaProducerMessage(event: request, topic: "intellicore.predictions.requests", key: "churn"))
                let probability = Float.random(in: 0...1)
                let body = [probability, 1 - probability].withUnsafeBufferPointer {
                    OIPResultEncoder.completed(id: id, model: "churn", version: 1, outputName: "probabilities", rows: 1, columns: 2, values: $0,
                                               shadow: false, queueSeconds: 0.0012, computeSeconds: 0.0003, totalSeconds: Double.random(in: 0.002...0.05))
                }
                payloadBytes += body.count
                let answer = CloudEvent(id: "\(id)/result", source: "/bench", type: PredictionCompleted.eventType, subject: "churn", tenantId: tenant, data: body)
                messages.append(KafkaProducerMessage(event: answer, topic: "intellicore.predictions.results", key: "churn"))
            }
            for result in try await producer.send(messages) { _ = try result.get() }
        }
        await producer.shutdown()
        report(String(format: "backlog: %d answers (%.0f bytes each) and %d requests of tenant %@ produced in %.1f s while monitoring was paused",
                      count, Double(payloadBytes) / Double(count), count, tenant, elapsedSeconds(since: started)))

        // 3. Resume and time until the 5-minute window counts every answer.
        let cpu = CPUAccount(processes: [("monitoring", pid), ("broker", options["--broker-pid"].flatMap { pid_t($0) })])
        let machineBefore = machineBusySeconds()
        let clock = ContinuousClock.now
        kill(pid, SIGCONT)
        resumed = true
        var seconds: Double?
        var seen = 0
        while elapsedSeconds(since: clock) < 600 {
            // 404 no_traffic until the first answer of the version is counted.
            let data = try? await http("GET", "\(monitoring)/v1/monitoring/models/churn/versions/1/metrics?window=5m", key: key, body: nil, expect: 200)
            seen = data.flatMap { ((try? JSONSerialization.jsonObject(with: $0)) as? [String: Any])?["answers"] as? Int } ?? 0
            if seen >= count {
                seconds = elapsedSeconds(since: clock)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let seconds else { report("monitoring counted \(seen) of \(count) answers within 600 s"); exit(1) }
        // The requests are a pipeline of their own: wait until the sampled share of them
        // (`--sample-rate`, monitoring's MONITORING_INPUT_SAMPLE_RATE, 0.25 by default) is in the drift report.
        let expectedRows = Int(Double(count) * (Double(options["--sample-rate"] ?? "") ?? 0.25))
        var rows = 0, inputSeconds: Double?
        while elapsedSeconds(since: clock) < 600 {
            let data = try? await http("GET", "\(monitoring)/v1/monitoring/models/churn/versions/1/drift", key: key, body: nil, expect: 200)
            rows = data.flatMap { ((try? JSONSerialization.jsonObject(with: $0)) as? [String: Any])?["rows"] as? Int } ?? 0
            if rows >= expectedRows {
                inputSeconds = elapsedSeconds(since: clock)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let drained = max(seconds, inputSeconds ?? seconds)
        let busy = machineBusySeconds() - machineBefore
        report(String(format: "monitoring absorbed %d answers in %.2f s = %.0f answers/s (windows, latency sketch, feedback join)",
                      count, seconds, Double(count) / seconds))
        report(String(format: "  and their %d requests in %.2f s (%d input rows compared with the baseline%@): both streams drained at %.0f answers/s",
                      count, inputSeconds ?? .nan, rows, inputSeconds == nil ? ", not all of them" : "", Double(count) / drained))
        report("  " + cpu.summary(per: count, unit: "answer (with its request)"))
        report(paused.isEmpty ? "  the other consumers of these topics (billing, inference) ran beside it"
                              : "  the other consumers of these topics (billing, inference) were paused during the backlog and the drain (--others running keeps them)")
        report(String(format: "  machine: %.2f of %d cores busy on average during the drain", busy / drained, ProcessInfo.processInfo.activeProcessorCount))
        // 4. The ceiling the broker sets: a bare consumer (the same client and fetch settings, no
        //    processing) reading as many records of the same two topics from their start.
        let bare = try KafkaConsumer(configuration: KafkaConsumerConfiguration(
            bootstrapServers: bootstrap, groupId: "monitoring-benchmark-bare-\(UInt32.random(in: 0...UInt32.max))", offsetReset: .earliest,
            properties: ["max.partition.fetch.bytes": String(16 << 20)]), logger: logger)
        try bare.subscribe(topics: ["intellicore.predictions.requests", "intellicore.predictions.results"])
        var read = 0
        var firstRecord: ContinuousClock.Instant?
        let bareDeadline = ContinuousClock.now + .seconds(300)
        while read < 2 * count, ContinuousClock.now < bareDeadline {
            let batch = try await bare.poll(maxMessages: 2000, timeout: .milliseconds(100))
            if !batch.isEmpty, firstRecord == nil { firstRecord = ContinuousClock.now }
            read += batch.count
        }
        await bare.close()
        if let firstRecord, read >= 2 * count {
            let bareSeconds = elapsedSeconds(since: firstRecord)
            report(String(format: "  a bare consumer of the same broker read %d records in %.2f s = %.0f records/s; monitoring read %.0f records/s (%.2f of it)",
                          read, bareSeconds, Double(read) / bareSeconds, Double(2 * count) / drained, (Double(2 * count) / drained) / (Double(read) / bareSeconds)))
        }
    }
}
