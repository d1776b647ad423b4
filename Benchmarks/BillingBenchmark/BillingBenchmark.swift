import BenchmarkSupport
import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import Logging
import PostgresNIO

/// Billing's metering rate on a backlog, against a running platform (`./intellicore dev up`):
/// billing is paused (SIGSTOP), `--events` prediction answers of one new tenant are produced to
/// `intellicore.predictions.results`, billing is resumed (SIGCONT) and timed until its hourly
/// aggregates hold every unit — which it writes in the transaction that also stores the offsets,
/// so that moment is "metered effectively once". Prints events/s and the CPU per event of
/// billing, the broker and PostgreSQL (every `postgres` process), and how busy the machine was.
///   billing-benchmark --bootstrap HOST:PORT --postgres-port P --billing-pid P [--broker-pid P] [--events 1000000]
@main
struct BillingBenchmark {
    static func main() async throws {
        var options: [String: String] = [:]
        let arguments = Array(CommandLine.arguments.dropFirst())
        for index in stride(from: 0, to: arguments.count - 1, by: 2) { options[arguments[index]] = arguments[index + 1] }
        guard let bootstrap = options["--bootstrap"], let billingPid = options["--billing-pid"].flatMap({ pid_t($0) }) else {
            FileHandle.standardError.write(Data("usage: billing-benchmark --bootstrap HOST:PORT --postgres-port P --billing-pid P [--broker-pid P] [--events N]\n".utf8))
            exit(2)
        }
        let events = Int(options["--events"] ?? "") ?? 1_000_000
        var logger = Logger(label: "billing-benchmark")
        logger.logLevel = .warning
        let tenant = "billbench-\(UInt32.random(in: 0...UInt32.max))"

        // 1. The backlog, produced while billing is paused.
        kill(billingPid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(billingPid, SIGCONT) } }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: logger)
        let started = ContinuousClock.now
        var units = 0
        for first in stride(from: 0, to: events, by: 20_000) {
            var messages: [KafkaProducerMessage] = []
            for index in first..<min(first + 20_000, events) {
                let answer = PredictionCompleted(id: "r\(index)", modelName: "churn", modelVersion: "\(1 + index % 2)",
                                                 outputs: [InferenceTensor(name: "probabilities", shape: [1, 2], datatype: "FP32",
                                                                           data: .numbers([0.8172, 0.1828]))],
                                                 timings: PredictionTimings(queueSeconds: 0.0012, computeSeconds: 0.0003, totalSeconds: 0.0016))
                var event = try CloudEvent(answer, source: "/intellicore/inference", subject: "r\(index)", tenantId: tenant)
                event.id = "\(tenant)-\(index)"
                messages.append(KafkaProducerMessage(event: event, topic: "intellicore.predictions.results", key: "r\(index)"))
                units += 1
            }
            for result in try await producer.send(messages) { _ = try result.get() }
        }
        await producer.shutdown()
        report(String(format: "backlog: %d prediction answers of tenant %@ produced in %.1f s while billing was paused", events, tenant,
                      elapsedSeconds(since: started)))

        // 2. Resume billing and wait until the aggregates hold every unit.
        let settings = PostgresSettings(host: "127.0.0.1", port: Int(options["--postgres-port"] ?? "") ?? 19432, username: "intellicore",
                                        password: "intellicore", database: "intellicore", maximumConnections: 1)
        let client = settings.makeClient(logger: logger)
        let cpu = CPUAccount(processes: [("billing", billingPid), ("broker", options["--broker-pid"].flatMap { pid_t($0) })],
                             commands: ["postgres"])
        let machineBefore = machineBusySeconds()
        let clock = ContinuousClock.now
        kill(billingPid, SIGCONT)
        resumed = true
        let seconds: Double? = try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            while elapsedSeconds(since: clock) < 600 {
                let rows = try await client.query("SELECT coalesce(sum(quantity), 0)::bigint FROM billing.usage_hourly WHERE tenant_id = \(tenant)", logger: logger)
                for try await metered in rows.decode(Int.self) where metered >= units { return elapsedSeconds(since: clock) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
        guard let seconds else { report("billing did not meter the backlog within 600 s"); exit(1) }
        let busy = machineBusySeconds() - machineBefore
        report(String(format: "billing metered %d answers in %.2f s = %.0f events/s (ledger rows, hourly aggregates and offsets per transaction)",
                      events, seconds, Double(events) / seconds))
        report("  " + cpu.summary(per: events, unit: "event"))
        report(String(format: "  machine: %.2f of %d cores busy on average during the drain", busy / seconds, ProcessInfo.processInfo.activeProcessorCount))
    }
}
