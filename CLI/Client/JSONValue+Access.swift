import Foundation
import IntelliCoreEvents

/// Reading the services' JSON answers without a type per answer: the CLI shows what the APIs say.
extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? {
        switch self {
        case .string(let value): return value
        case .number(let value): return Format.number(value)
        default: return nil
        }
    }

    /// A number, or a decimal written as a string (billing's exact amounts and quantities).
    var double: Double? {
        switch self {
        case .number(let value): return value
        case .string(let text): return Double(text)
        default: return nil
        }
    }

    var int: Int? { double.map { Int($0) } }

    var array: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    var object: [String: JSONValue] {
        if case .object(let fields) = self { return fields }
        return [:]
    }

    /// `items` of a page.
    var items: [JSONValue] { self["items"]?.array ?? [] }

    static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// One line of JSON, for messages.
    var compact: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    /// Pretty JSON for `--json` and for events.
    func pretty() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }
}
