import ArgumentParser
import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import Logging

/// The platform's topics, read and written like any outside producer or consumer does.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tail a topic's CloudEvents, or produce one.", subcommands: [Tail.self, Produce.self])

    /// A topic by its name with or without `intellicore.`, under the deployment's prefix.
    static func topic(_ name: String, connection: Connection) throws -> String {
        let full = name.hasPrefix("intellicore.") ? name : "intellicore." + name
        guard Topic(rawValue: full) != nil else {
            throw ValidationError("\(name) is not a platform topic; they are \(Topic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return connection.topicPrefix + full
    }

    static var logger: Logger {
        var logger = Logger(label: "intellicore-cli")
        logger.logLevel = .error
        return logger
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a topic's events as they arrive, in colour; filter by type, tenant or subject.")

        @Argument(help: "The topic, e.g. predictions.results or intellicore.models.") var topic: String
        @Option(help: "Only this event type (or a part of it, e.g. model.deployed).") var type: String?
        @Option(help: "Only this tenant.") var tenant: String?
        @Option(help: "Only this subject.") var subject: String?
        @Flag(help: "Start at the oldest record instead of now.") var fromBeginning = false
        @Option(help: "Stop after this many matching events.") var limit: Int?
        @Option(help: "Stop after this many seconds.") var seconds: Double?
        @OptionGroup var connection: Connection

        func run() async throws {
            let name = try Events.topic(topic, connection: connection)
            let consumer: KafkaConsumer
            let partitions: Int
            do {
                partitions = try await KafkaAdmin(bootstrapServers: connection.kafkaBootstrap, logger: Events.logger).topics()[name] ?? 0
                consumer = try KafkaConsumer(configuration: .init(bootstrapServers: connection.kafkaBootstrap, groupId: nil), logger: Events.logger)
            } catch {
                throw CLIError(.unavailable, "Kafka at \(connection.kafkaBootstrap): \(error)", hint: "is the platform running? `./intellicore dev status` (or pass --bootstrap)")
            }
            guard partitions > 0 else { throw CLIError(.refused, "topic \(name) does not exist on \(connection.kafkaBootstrap)") }
            try consumer.assign((0..<partitions).map { KafkaTopicPartition(topic: name, partition: Int32($0), offset: fromBeginning ? KafkaOffset.beginning : KafkaOffset.end) })
            if !connection.json { Terminal.warn(Terminal.styled("tailing \(name) (\(partitions) partitions)…", .dim)) }
            let deadline = seconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
            var shown = 0
            while deadline.map({ ContinuousClock.now < $0 }) ?? true, shown < (limit ?? .max) {
                for message in try await consumer.poll(maxMessages: 500, timeout: .milliseconds(200)) {
                    guard let event = try? message.cloudEvent() else {
                        if type == nil && tenant == nil && subject == nil {
                            Terminal.line(Terminal.styled("[\(message.partition):\(message.offset)] not a CloudEvent (\(message.value?.count ?? 0) bytes)", .red))
                        }
                        continue
                    }
                    if let type, !event.type.contains(type) { continue }
                    if let tenant, event.tenantId != tenant { continue }
                    if let subject, event.subject != subject { continue }
                    Terminal.line(connection.json ? Self.json(event) : Self.pretty(event, message))
                    shown += 1
                    if shown >= (limit ?? .max) { break }
                }
            }
            await consumer.close()
        }

        static func payload(_ event: CloudEvent) -> JSONValue {
            event.dataContentType.contains("json") ? (JSONValue.parse(Data(event.data)) ?? .string(String(decoding: event.data, as: UTF8.self))) :
                .string("<\(event.data.count) bytes of \(event.dataContentType)>")
        }

        static func json(_ event: CloudEvent) -> String {
            let object: JSONValue = .object(["id": .string(event.id), "type": .string(event.type), "source": .string(event.source),
                                             "time": .string(ISO8601DateFormatter().string(from: event.time)),
                                             "subject": event.subject.map { .string($0) } ?? .null,
                                             "tenant_id": event.tenantId.map { .string($0) } ?? .null, "data": payload(event)])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? String(decoding: encoder.encode(object), as: UTF8.self)) ?? "{}"
        }

        static func pretty(_ event: CloudEvent, _ message: KafkaConsumerMessage) -> String {
            let type = event.type.replacingOccurrences(of: "intellicore.", with: "")
            let colour: Terminal.Style = type.contains("fail") || type.contains("degraded") || type.contains("drift") || type.contains("exceeded") ? .red :
                type.contains("completed") || type.contains("deployed") || type.contains("sealed") ? .green : .cyan
            let head = Terminal.styled(ISO8601DateFormatter().string(from: event.time), .dim) + " " + Terminal.styled(type, colour, .bold)
                + " tenant=\(event.tenantId ?? "–") subject=\(event.subject ?? "–") " + Terminal.styled("[\(message.partition):\(message.offset)]", .dim)
            let body = payload(event).pretty().split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
            return head + "\n" + body
        }
    }

    struct Produce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Produce one CloudEvent (binary mode) as an outside producer does.")

        @Argument(help: "The topic, e.g. predictions.requests.") var topic: String
        @Option(help: "The event type, e.g. intellicore.prediction.requested.v1.") var type: String
        @Option(help: "The payload as JSON (or @FILE).") var data: String
        @Option(help: "The record key (default: the subject).") var recordKey: String?
        @Option(help: "ce_subject.") var subject: String?
        @Option(help: "ce_tenantid: the tenant the event belongs to.") var tenant: String?
        @Option(help: "ce_source.") var source = "/intellicore-cli"
        @OptionGroup var connection: Connection

        func run() async throws {
            let name = try Events.topic(topic, connection: connection)
            let bytes: Data
            if data.hasPrefix("@") {
                guard let contents = FileManager.default.contents(atPath: String(data.dropFirst())) else { throw ValidationError("cannot read \(data.dropFirst())") }
                bytes = contents
            } else {
                bytes = Data(data.utf8)
            }
            guard JSONValue.parse(bytes) != nil else { throw ValidationError("--data is not JSON") }
            if EventCatalog.eventType(named: type) == nil {
                Terminal.warn(Terminal.styled("warning: ", .yellow) + "\(type) is not in the event catalog (docs/events.md); consumers will skip it")
            }
            let event = CloudEvent(source: source, type: type, subject: subject, tenantId: tenant, data: Array(bytes))
            do {
                let producer = try KafkaProducer(configuration: .init(bootstrapServers: connection.kafkaBootstrap), logger: Events.logger)
                let report = try await producer.send(KafkaProducerMessage(event: event, topic: name, key: recordKey ?? subject))
                await producer.shutdown()
                Terminal.line(connection.json ? JSONValue.object(["id": .string(event.id), "topic": .string(name), "partition": .number(Double(report.partition)),
                                                                  "offset": .number(Double(report.offset))]).pretty()
                                              : "produced \(event.id) to \(name) [\(report.partition):\(report.offset)]")
            } catch {
                throw CLIError(.unavailable, "producing to \(name) at \(connection.kafkaBootstrap): \(error)", hint: "is the platform running? `./intellicore dev status`")
            }
        }
    }
}
