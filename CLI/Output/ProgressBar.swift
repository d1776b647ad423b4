import Foundation
import IntelliCoreEvents

/// A progress bar with a rate: redrawn in place on a terminal; elsewhere (a pipe, CI) one line
/// each time another tenth is done, so logs stay readable.
final class ProgressBar: @unchecked Sendable { // every member is used under `lock`
    let label: String
    let unit: String
    private(set) var total: Int?
    private let started = ContinuousClock.now
    private var printedTenths = -1
    private var lastDone = 0
    private let lock = NSLock()

    init(_ label: String, total: Int?, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    func update(_ done: Int, total newTotal: Int? = nil, detail: String = "") {
        lock.lock()
        defer { lock.unlock() }
        draw(done, total: newTotal, detail: detail)
    }

    private func draw(_ done: Int, total newTotal: Int?, detail: String) {
        if let newTotal { total = newTotal }
        lastDone = done
        let elapsed = max((ContinuousClock.now - started).seconds, 0.001)
        let rate = Double(done) / elapsed
        var text = "\(label) "
        if let total, total > 0 {
            let share = min(1, Double(done) / Double(total))
            let filled = Int(share * 30)
            text += "[" + Terminal.styled(String(repeating: "█", count: filled), .green) + String(repeating: "░", count: 30 - filled) + "] "
            text += "\(Int(share * 100)) % \(Format.count(done))/\(Format.count(total)) \(unit)"
        } else {
            text += "\(Format.count(done)) \(unit)"
        }
        text += " · \(Format.count(Int(rate))) \(unit)/s"
        if !detail.isEmpty { text += " · " + detail }
        if Terminal.isInteractive {
            Terminal.redraw(text)
        } else {
            let tenths = total.map { $0 > 0 ? min(10, done * 10 / $0) : 0 } ?? Int(elapsed / 2)
            if tenths != printedTenths {
                printedTenths = tenths
                Terminal.line(text)
            }
        }
    }

    /// The final state on its own line.
    func finish(detail: String = "") {
        lock.lock()
        defer { lock.unlock() }
        printedTenths = -1
        draw(lastDone, total: nil, detail: detail)
        if Terminal.isInteractive { Terminal.line() }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Numbers for people.
enum Format {
    static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var grouped = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (value < 0 ? "-" : "") + String(grouped.reversed())
    }

    static func number(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.\(digits)g", value)
    }

    /// Any JSON value as a cell.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return "–"
        case .string(let string)?: return string
        case .bool(let flag)?: return flag ? "yes" : "no"
        case .number(let number)?: return Self.number(number)
        case .array(let items)?: return items.map { cell($0) }.joined(separator: ", ")
        case .object(let fields)?: return fields.keys.sorted().map { "\($0)=\(cell(fields[$0]))" }.joined(separator: " ")
        }
    }
}
