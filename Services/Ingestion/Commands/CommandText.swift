import IntelliCoreServiceKit

/// The text rules commands share, each failing with a 422 that names the field.
enum CommandText {
    /// Model, dataset and alias names: 1–128 letters, digits, `.`, `_` or `-`, starting with a
    /// letter or digit (they travel in paths, keys and metric labels).
    static func name(_ text: String, field: String) throws -> String {
        let bytes = text.utf8
        guard (1...128).contains(bytes.count), bytes.allSatisfy(isNameByte), let first = bytes.first, isAlphanumeric(first) else {
            throw APIError.unprocessable("\(field) must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit",
                                         code: "invalid_field", details: ["field": field])
        }
        return text
    }

    /// A column name: 1–128 characters, no control characters.
    static func column(_ text: String, field: String) throws -> String {
        guard (1...128).contains(text.count), !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.unprocessable("\(field) must be 1–128 characters without control characters", code: "invalid_field",
                                         details: ["field": field])
        }
        return text
    }

    /// A free-text reason, at most 500 characters.
    static func reason(_ text: String) throws -> String {
        guard text.count <= 500 else {
            throw APIError.unprocessable("reason must be at most 500 characters", code: "invalid_field", details: ["field": "reason"])
        }
        return text
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError.unprocessable("\(field) \(message)", code: "invalid_field", details: ["field": field])
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (65...90).contains(byte) || (48...57).contains(byte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
