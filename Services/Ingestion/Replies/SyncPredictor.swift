import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import Logging

/// Synchronous predictions over Kafka (ADR 0009): produces `PredictionRequested` with the
/// request-reply headers naming one of this replica's reply partitions, then waits for the answer
/// inference sends there.
struct SyncPredictor: Sendable {
    enum Outcome: Sendable {
        case answered(PendingReplies.Reply)
        /// The deadline passed first.
        case timedOut
    }

    enum Refusal: Error {
        /// As many requests as the in-flight bound already wait.
        case full
        /// This replica has no reply partition yet (starting, or between rebalances).
        case noReplyPartition
        /// The broker did not take the request.
        case notProduced(KafkaError)
    }

    let producer: KafkaProducer
    let requestsTopic: String
    let repliesTopic: String
    let source: String
    let pending: PendingReplies
    let replies: ReplyConsumer

    func predict(_ request: PredictionRequested, tenant: String, key: String, deadline: ContinuousClock.Instant) async throws -> Outcome {
        guard let partition = replies.replyPartition() else { throw Refusal.noReplyPartition }
        let correlation = UUID()
        do {
            try pending.reserve(correlation)
        } catch {
            throw Refusal.full
        }
        let event = try CloudEvent(request, source: source, subject: request.id, tenantId: tenant)
        var message = KafkaProducerMessage(event: event, topic: requestsTopic, key: key)
        message.headers.append(KafkaHeader(name: ReplyHeader.replyTopic, string: repliesTopic))
        message.headers.append(KafkaHeader(name: ReplyHeader.replyPartition, value: ReplyHeader.encode(partition: partition)))
        message.headers.append(KafkaHeader(name: ReplyHeader.correlationId, value: withUnsafeBytes(of: correlation.uuid) { Array($0) }))
        do {
            _ = try await producer.send(message)
        } catch let error as KafkaError {
            pending.release(correlation)
            throw Refusal.notProduced(error)
        } catch {
            pending.release(correlation)
            throw error
        }
        guard let reply = await pending.wait(correlation, until: deadline) else { return .timedOut }
        return .answered(reply)
    }
}
