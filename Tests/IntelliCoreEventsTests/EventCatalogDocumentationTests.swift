import Foundation
import IntelliCoreEvents
import Testing

/// Every event type has an example in docs/events.md, and every example decodes as its type.
@Suite struct EventCatalogDocumentationTests {
    /// `(type, json)` for each example: a heading line with the type in backticks, then a json block.
    static func examples() throws -> [(type: String, json: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/events.md"), encoding: .utf8)
        var result: [(String, String)] = []
        var currentType: String?
        var block: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### "), let start = line.firstIndex(of: "`"), let end = line[line.index(after: start)...].firstIndex(of: "`") {
                currentType = String(line[line.index(after: start)..<end])
            } else if line.hasPrefix("```json") {
                block = []
            } else if line.hasPrefix("```"), let lines = block {
                if let currentType { result.append((currentType, lines.joined(separator: "\n"))) }
                block = nil
                currentType = nil
            } else if block != nil {
                block!.append(String(line))
            }
        }
        return result
    }

    @Test func everyEventTypeHasAnExample() throws {
        let documented = Set(try Self.examples().map(\.type))
        let missing = EventCatalog.all.map { $0.eventType }.filter { !documented.contains($0) }
        #expect(missing.isEmpty, "no example in docs/events.md for \(missing)")
    }

    @Test func everyExampleDecodes() throws {
        let examples = try Self.examples()
        #expect(examples.count >= EventCatalog.all.count)
        for example in examples {
            let type = try #require(EventCatalog.eventType(named: example.type), "unknown type \(example.type) in docs")
            #expect(throws: Never.self, "\(example.type)") { try Self.decode(type, example.json) }
        }
    }

    static func decode<Event: DomainEvent>(_ type: Event.Type, _ json: String) throws {
        let event = try EventCodec.decode(type, from: Array(json.utf8))
        // Re-encoding and decoding again must give the same value: no field is lost.
        let again = try EventCodec.decode(type, from: EventCodec.encode(event))
        #expect(try EventCodec.encode(again) == EventCodec.encode(event))
    }
}
