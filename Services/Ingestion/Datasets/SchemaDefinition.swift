import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// The body that registers a dataset (`name`, `columns`, `target`) or evolves its schema
/// (`columns`, `target`), checked into a `DatasetSchema` with a 422 naming the field at fault.
struct SchemaDefinition: ClosedJSONObject {
    struct Column: Decodable {
        let name: String
        let type: String
        let nullable: Bool?
        let categories: [String]?
        let minimum: Double?
        let maximum: Double?
    }

    let name: String?
    let columns: [Column]
    let target: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, columns, target
    }

    static let fields = fieldNames(CodingKeys.self)
    static let maxColumns = 1000
    static let maxCategories = 10_000

    func schema() throws -> DatasetSchema {
        guard (1...Self.maxColumns).contains(columns.count) else {
            throw CommandText.invalid("columns", "must list 1 to \(Self.maxColumns) columns")
        }
        var seen: Set<String> = []
        var specs: [ColumnSpec] = []
        for (index, column) in columns.enumerated() {
            let field = "columns[\(index)]"
            let name = try CommandText.column(column.name, field: "\(field).name")
            guard seen.insert(name).inserted else { throw CommandText.invalid("\(field).name", "repeats column \(name)") }
            guard let type = ColumnType(rawValue: column.type) else {
                throw CommandText.invalid("\(field).type", "must be one of \(ColumnType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var spec = ColumnSpec(name: name, type: type, nullable: column.nullable ?? false)
            if type == .category {
                guard let categories = column.categories, (1...Self.maxCategories).contains(categories.count) else {
                    throw CommandText.invalid("\(field).categories", "must list the 1 to \(Self.maxCategories) values of a category column")
                }
                guard Set(categories).count == categories.count else { throw CommandText.invalid("\(field).categories", "repeats a value") }
                guard !categories.contains(where: \.isEmpty) else { throw CommandText.invalid("\(field).categories", "holds an empty value") }
                spec.categories = categories
            } else if column.categories != nil {
                throw CommandText.invalid("\(field).categories", "is only for category columns")
            }
            if type.isNumeric {
                if let minimum = column.minimum, let maximum = column.maximum, minimum > maximum {
                    throw CommandText.invalid("\(field).minimum", "is greater than maximum")
                }
                spec.minimum = column.minimum
                spec.maximum = column.maximum
            } else if column.minimum != nil || column.maximum != nil {
                throw CommandText.invalid("\(field).minimum", "and maximum are only for number and integer columns")
            }
            specs.append(spec)
        }
        if let target {
            guard let column = specs.first(where: { $0.name == target }) else {
                throw CommandText.invalid("target", "names no column (\(target))")
            }
            guard !column.nullable else { throw CommandText.invalid("target", "must not be nullable: every row needs a value to learn from") }
            guard column.type != .string, column.type != .timestamp else {
                throw CommandText.invalid("target", "must be a number, integer, boolean or category column")
            }
        }
        return DatasetSchema(columns: specs, target: target)
    }
}

/// Which schema changes keep every earlier row valid and in place.
enum SchemaEvolution {
    /// What changed from `old` to `new` (empty: nothing), or the reasons the change is refused.
    static func compare(_ old: DatasetSchema, _ new: DatasetSchema) -> (changes: [String], incompatible: [String]) {
        var changes: [String] = [], incompatible: [String] = []
        let newByName = Dictionary(new.columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, column) in old.columns.enumerated() {
            guard let now = newByName[column.name] else {
                incompatible.append("column \(column.name) was removed (earlier versions hold values for it)")
                continue
            }
            if index >= new.columns.count || new.columns[index].name != column.name {
                incompatible.append("column \(column.name) moved: existing columns keep their order, new ones go at the end")
            }
            if now.type != column.type {
                incompatible.append("column \(column.name) changed type from \(column.type.rawValue) to \(now.type.rawValue)")
                continue
            }
            if column.nullable, !now.nullable {
                incompatible.append("column \(column.name) became required (earlier rows may hold nulls)")
            } else if !column.nullable, now.nullable {
                changes.append("column \(column.name) became nullable")
            }
            let before = column.categories ?? [], after = now.categories ?? []
            let removed = before.filter { !after.contains($0) }
            if !removed.isEmpty {
                incompatible.append("column \(column.name) lost categories \(removed.joined(separator: ", "))")
            }
            let added = after.filter { !before.contains($0) }
            if !added.isEmpty { changes.append("column \(column.name) gained categories \(added.joined(separator: ", "))") }
            if let minimum = now.minimum, column.minimum.map({ minimum > $0 }) ?? true {
                incompatible.append("column \(column.name) narrowed its minimum to \(minimum)")
            } else if now.minimum != column.minimum {
                changes.append("column \(column.name) widened its minimum")
            }
            if let maximum = now.maximum, column.maximum.map({ maximum < $0 }) ?? true {
                incompatible.append("column \(column.name) narrowed its maximum to \(maximum)")
            } else if now.maximum != column.maximum {
                changes.append("column \(column.name) widened its maximum")
            }
        }
        let oldNames = Set(old.columns.map(\.name))
        for column in new.columns where !oldNames.contains(column.name) {
            if column.nullable {
                changes.append("new nullable column \(column.name) (\(column.type.rawValue))")
            } else {
                incompatible.append("new column \(column.name) must be nullable (earlier versions have no value for it)")
            }
        }
        if old.target != new.target {
            incompatible.append("the target changed from \(old.target ?? "none") to \(new.target ?? "none")")
        }
        return (changes, incompatible)
    }
}
