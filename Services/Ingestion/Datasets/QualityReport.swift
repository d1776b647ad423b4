import IntelliCoreEvents

/// What validation found in one dataset version: rows read, accepted and rejected, problems
/// counted per column and rule, and the first problems with their row numbers and values.
struct QualityReport: Sendable, Codable {
    struct Key: Hashable, Sendable, Codable {
        /// nil for a problem of the whole row (a wrong column count, a row that does not parse).
        var column: String?
        var rule: DataQualityRule
    }

    struct Sample: Sendable, Codable, Equatable {
        /// 1-based data row (the CSV header is not counted; a JSON array's first element is 1).
        var row: Int
        var column: String?
        var rule: DataQualityRule
        /// The offending value as text, cut at `valueLimit` characters; nil for a missing one.
        var value: String?
        var message: String
    }

    static let valueLimit = 200

    let sampleLimit: Int
    private(set) var counts: [Key: Int] = [:]
    private(set) var samples: [Sample] = []
    var rowsRead = 0
    var rowsAccepted = 0
    var rowsRejected = 0

    init(sampleLimit: Int) {
        self.sampleLimit = sampleLimit
    }

    var rejectedShare: Double { rowsRead == 0 ? 0 : Double(rowsRejected) / Double(rowsRead) }

    mutating func record(row: Int, column: String?, rule: DataQualityRule, value: String?, message: String) {
        // A name from the data (an unknown JSON key) is shown, not trusted: cut, and without NUL,
        // which PostgreSQL text cannot hold.
        let column = column.map(Self.printable)
        counts[Key(column: column, rule: rule), default: 0] += 1
        if samples.count < sampleLimit {
            samples.append(Sample(row: row, column: column, rule: rule, value: value.map(Self.printable), message: Self.printable(message)))
        }
    }

    static func printable(_ text: String) -> String {
        let cut = text.count > valueLimit ? String(text.prefix(valueLimit)) : text
        return cut.contains("\u{0}") ? cut.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : cut
    }

    /// One `DataQualityIssueFound` per column and rule, with the count and the first sample's message.
    func issues(datasetId: String, version: Int) -> [DataQualityIssueFound] {
        counts.sorted { ($0.key.column ?? "", $0.key.rule.rawValue) < ($1.key.column ?? "", $1.key.rule.rawValue) }.map { key, count in
            let example = samples.first { $0.column == key.column && $0.rule == key.rule }
            let message = example.map { "\($0.message) (first at row \($0.row))" } ?? "\(count) rows broke \(key.rule.rawValue)"
            return DataQualityIssueFound(datasetId: datasetId, version: version, column: key.column, code: key.rule.rawValue,
                                         message: message, rowsAffected: count)
        }
    }
}
