/// A validated PostgreSQL schema name, safe to splice into SQL as an identifier.
///
/// Identifiers cannot be bind parameters, so schema-qualified statements use this type,
/// which only admits lower-case letters, digits and underscores.
public struct SchemaName: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(PostgresKitError) {
        let valid = !rawValue.isEmpty && rawValue.count <= 63
            && rawValue.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
            && !(48...57).contains(rawValue.utf8.first!)
        guard valid else {
            throw PostgresKitError(.invalidSchemaName, "schema name \"\(rawValue)\" must be lower-case letters, digits and underscores")
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// `schema.table`, for SQL text.
    public func qualified(_ table: String) -> String { "\(rawValue).\(table)" }
}

/// One error type for the PostgreSQL helpers.
public struct PostgresKitError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }
        public static let invalidSchemaName = Code(raw: "invalid_schema_name")
        public static let migrationFailed = Code(raw: "migration_failed")
        public static let migrationsOutOfOrder = Code(raw: "migrations_out_of_order")
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(code): \(message) (\(String(reflecting: $0)))" } ?? "\(code): \(message)"
    }
}
