/// A table for people: a header row and left-aligned columns as wide as their widest cell.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String], rows: [[String]] = []) {
        self.headers = headers
        self.rows = rows
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let header = Terminal.styled(line(headers), .bold)
        guard !rows.isEmpty else { return header + "\n" + Terminal.styled("(none)", .dim) }
        return ([header] + rows.map { line($0 + Array(repeating: "", count: max(0, headers.count - $0.count))) }).joined(separator: "\n")
    }

    func print() { Terminal.line(render()) }
}
