import Foundation

/// A billing period: a calendar month in UTC, written `2026-12`.
struct BillingPeriod: Sendable, Hashable, Codable, CustomStringConvertible {
    let year: Int
    let month: Int

    private static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    init(containing date: Date) {
        let parts = Self.calendar.dateComponents([.year, .month], from: date)
        year = parts.year ?? 1970
        month = parts.month ?? 1
    }

    /// `YYYY-MM`; nil for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), (1970...9998).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    var start: Date { Self.calendar.date(from: DateComponents(year: year, month: month, day: 1))! }
    var end: Date { Self.calendar.date(byAdding: .month, value: 1, to: start)! }
    var next: BillingPeriod { BillingPeriod(containing: end) }
    var previous: BillingPeriod { BillingPeriod(containing: start.addingTimeInterval(-1)) }

    var description: String { String(format: "%04d-%02d", year, month) }
}
