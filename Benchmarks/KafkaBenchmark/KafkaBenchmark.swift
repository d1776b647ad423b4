import BenchmarkSupport
import CRDKafka
import Foundation
import IntelliCoreKafka
import Logging

/// Produce and consume throughput of the Swift client beside a raw librdkafka loop, same broker,
/// same run, 200-byte messages. Usage:
///   kafka-benchmark [--bootstrap 127.0.0.1:19092] [--messages 500000] [--size 200] [--rounds 1]
///   kafka-benchmark --latency 1000     (one record at a time: produce→consume latency percentiles)
@main
struct KafkaBenchmark {
    static func main() async throws {
        let options = Options(CommandLine.arguments.dropFirst())
        var logger = Logger(label: "kafka-benchmark")
        logger.logLevel = .warning
        report("librdkafka \(KafkaClientVersion.linked), broker \(options.bootstrap), \(options.messages) messages of \(options.size) bytes, \(options.partitions) partitions")
        let admin = try KafkaAdmin(bootstrapServers: options.bootstrap, logger: logger)
        if options.latency > 0 {
            let base = "bench.latency.\(ProcessInfo.processInfo.processIdentifier)-\(Int(Date().timeIntervalSince1970))"
            for (group, partitions, linger) in [(nil, 1, 0), ("bench-latency-\(base)", 1, 0), (nil, 8, 0), ("bench-latency-8-\(base)", 8, 0),
                                                (nil, 8, 5)] as [(String?, Int, Int)] {
                let topic = base + (group == nil ? ".assigned" : ".group") + ".\(partitions).\(linger)"
                try await admin.createTopics([KafkaTopicSpec(name: topic, partitions: partitions)])
                let latencies = try await LatencyProbe.run(bootstrap: options.bootstrap, topic: topic, partitions: partitions, count: options.latency,
                                                           interval: .milliseconds(5), group: group, lingerMilliseconds: linger, logger: logger)
                report(String(format: "produce→consume latency (%@, %d partition(s), records on one, linger %d ms), %d records one at a time: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms",
                              group == nil ? "assigned" : "consumer group", partitions, linger, latencies.count,
                              percentile(latencies, 0.5), percentile(latencies, 0.9), percentile(latencies, 0.99), latencies.last ?? .nan))
            }
            return
        }
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: options.size)
        var rows: [(String, Double)] = []
        for round in 1...options.rounds {
            let run = "\(ProcessInfo.processInfo.processIdentifier)-\(round)-\(Int(Date().timeIntervalSince1970))"
            let swiftTopic = "bench.swift.\(run)", rawTopic = "bench.raw.\(run)"
            try await admin.createTopics([KafkaTopicSpec(name: swiftTopic, partitions: options.partitions),
                                          KafkaTopicSpec(name: rawTopic, partitions: options.partitions)])
            let rawProduce = try RawLoop.produce(bootstrap: options.bootstrap, topic: rawTopic, count: options.messages, payload: payload)
            let swiftProduce = try await SwiftClient.produce(bootstrap: options.bootstrap, topic: swiftTopic, count: options.messages,
                                                            payload: payload, logger: logger)
            let rawConsume = try RawLoop.consume(bootstrap: options.bootstrap, topic: rawTopic, partitions: options.partitions,
                                                 count: options.messages)
            let swiftConsume = try await SwiftClient.consume(bootstrap: options.bootstrap, topic: swiftTopic,
                                                            partitions: options.partitions, count: options.messages, logger: logger)
            let inPlace = try await SwiftClient.consume(bootstrap: options.bootstrap, topic: swiftTopic, partitions: options.partitions,
                                                        count: options.messages, inPlace: true, logger: logger)
            rows += [("produce raw", rawProduce), ("produce swift", swiftProduce),
                     ("consume raw", rawConsume), ("consume swift", swiftConsume), ("consume in place", inPlace)]
            report(String(format: "round %d  produce: raw %9.0f msg/s  swift %9.0f msg/s (%5.1f%%)   consume: raw %9.0f msg/s  swift %9.0f msg/s (%5.1f%%)  in place %9.0f msg/s (%5.1f%%)",
                         round, rawProduce, swiftProduce, 100 * swiftProduce / rawProduce,
                         rawConsume, swiftConsume, 100 * swiftConsume / rawConsume, inPlace, 100 * inPlace / rawConsume))
        }
        if options.rounds > 1 {
            func best(_ name: String) -> Double { rows.filter { $0.0 == name }.map(\.1).max() ?? 0 }
            report(String(format: "best     produce: raw %9.0f msg/s  swift %9.0f msg/s (%5.1f%%)   consume: raw %9.0f msg/s  swift %9.0f msg/s (%5.1f%%)  in place %9.0f msg/s (%5.1f%%)",
                         best("produce raw"), best("produce swift"), 100 * best("produce swift") / best("produce raw"),
                         best("consume raw"), best("consume swift"), 100 * best("consume swift") / best("consume raw"),
                         best("consume in place"), 100 * best("consume in place") / best("consume raw")))
        }
    }
}

struct Options {
    var bootstrap = "127.0.0.1:19092"
    var messages = 500_000
    var size = 200
    var partitions = 4
    var rounds = 1
    /// When > 0: measure one-at-a-time produce→consume latency over this many records instead.
    var latency = 0

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--bootstrap": bootstrap = value
            case "--messages": messages = Int(value) ?? messages
            case "--size": size = Int(value) ?? size
            case "--partitions": partitions = Int(value) ?? partitions
            case "--rounds": rounds = Int(value) ?? rounds
            case "--latency": latency = Int(value) ?? latency
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
            }
        }
    }
}
