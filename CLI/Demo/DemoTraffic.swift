import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka

/// Prediction requests streamed onto `intellicore.predictions.requests` as an outside producer
/// does, and their answers read back from `intellicore.predictions.results`.
struct DemoTraffic {
    let bootstrap: String
    let prefix: String
    let tenant: String
    let model: String
    let features: [String]

    struct Outcome {
        var answered = 0
        var failed: [String: Int] = [:]
        var byVersion: [String: Int] = [:]
        var seconds = 0.0
    }

    /// Sends one request per row (keyed by its entity, so the canary split is sticky) and waits
    /// for every answer.
    func run(rows: [[Float]], label: String, timeout: Duration = .seconds(180)) async throws -> Outcome {
        let results = prefix + Topic.predictionResults.rawValue
        let partitions = try await KafkaAdmin(bootstrapServers: bootstrap, logger: Events.logger).topics()[results] ?? 0
        guard partitions > 0 else { throw CLIError(.unavailable, "topic \(results) does not exist on \(bootstrap)") }
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: bootstrap, groupId: nil), logger: Events.logger)
        let start = try await consumer.endOffsets((0..<partitions).map { KafkaTopicPartition(topic: results, partition: Int32($0), offset: KafkaOffset.end) })
        try consumer.assign(start)
        defer { Task { await consumer.close() } }

        let run = UUID().uuidString.prefix(8).lowercased()
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: bootstrap), logger: Events.logger)
        let began = ContinuousClock.now
        var messages: [KafkaProducerMessage] = []
        for (index, row) in rows.enumerated() {
            let request = PredictionRequested(id: "\(label)-\(run)-\(index)", modelName: model, inputs: [
                InferenceTensor(name: "input", shape: [1, features.count], datatype: "FP32", data: .numbers(row.map(Double.init))),
            ])
            let event = try CloudEvent(request, source: "/intellicore-cli/demo", subject: model, tenantId: tenant)
            messages.append(KafkaProducerMessage(event: event, topic: prefix + Topic.predictionRequests.rawValue, key: "patient-\(index % 569)"))
        }
        let bar = ProgressBar("      answers", total: rows.count, unit: "answers")
        let sending = Task {
            for chunk in stride(from: 0, to: messages.count, by: 2000) {
                for result in try await producer.send(Array(messages[chunk..<min(chunk + 2000, messages.count)])) { _ = try result.get() }
            }
            await producer.shutdown()
        }
        var outcome = Outcome()
        var seen = Set<String>()
        let deadline = ContinuousClock.now + timeout
        while seen.count < rows.count && ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 2000, timeout: .milliseconds(200)) {
                guard let event = try? message.cloudEvent(), event.tenantId == tenant else { continue }
                if event.type == PredictionCompleted.eventType, let answer = try? event.decode(as: PredictionCompleted.self),
                   answer.shadow != true, answer.id.hasPrefix("\(label)-\(run)-"), seen.insert(answer.id).inserted {
                    outcome.answered += 1
                    outcome.byVersion[answer.modelVersion, default: 0] += 1
                } else if event.type == PredictionFailed.eventType, let failure = try? event.decode(as: PredictionFailed.self),
                          failure.shadow != true, failure.id.hasPrefix("\(label)-\(run)-"), seen.insert(failure.id).inserted {
                    outcome.failed[failure.code, default: 0] += 1
                }
            }
            bar.update(seen.count)
        }
        try await sending.value
        outcome.seconds = (ContinuousClock.now - began).seconds
        bar.finish(detail: "\(outcome.failed.values.reduce(0, +)) failed")
        return outcome
    }
}
