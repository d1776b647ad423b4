/// An incremental RFC 4180 reader over bytes as they arrive: records end at LF or CRLF, fields
/// are separated by commas, a field in double quotes may hold commas, line breaks and doubled
/// quotes. Memory is one record at most (`maxRecordBytes`), whatever the file's size.
///
/// Records that break the RFC are handed on as malformed instead of stopping the read: a quote
/// inside an unquoted field, text after a closing quote, a quote never closed before the end of
/// the body, or a record longer than the limit. The last two resume at the first line break after
/// the record's start, so one unbalanced quote costs one row, not the rest of the file.
struct CSVReader {
    enum Problem: Equatable, Sendable {
        case strayQuote
        case textAfterClosingQuote
        case unterminatedQuote
        case tooLarge(Int)

        var message: String {
            switch self {
            case .strayQuote: "a double quote inside an unquoted field (quote the whole field and double the quote)"
            case .textAfterClosingQuote: "text after the closing quote of a field"
            case .unterminatedQuote: "a quoted field is never closed before the end of the body"
            case .tooLarge(let limit): "the row is longer than \(limit) bytes"
            }
        }
    }

    /// One record's fields, valid only inside the callback that receives it.
    struct Record {
        fileprivate let base: UnsafeBufferPointer<UInt8>
        fileprivate let fields: UnsafeBufferPointer<Field>
        let problem: Problem?
        /// 1-based position of the record in the body (the header is record 1).
        let number: Int

        var count: Int { fields.count }

        /// The field's bytes, quotes removed and doubled quotes undone.
        func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let field = fields[index]
            return UnsafeBufferPointer(rebasing: base[field.start..<field.end])
        }

        /// Whether the field was written in quotes (`""` is an empty string, an empty unquoted field is null).
        func isQuoted(_ index: Int) -> Bool { fields[index].quoted }
    }

    fileprivate struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
        /// Holds doubled quotes still to be undone.
        var escaped: Bool
    }

    private enum State {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    let maxRecordBytes: Int
    private var buffer: [UInt8] = []
    private var fields: [Field] = []
    private var recordCount = 0
    /// Skipping the rest of an over-long record up to the next line break.
    private var skipping = false

    init(maxRecordBytes: Int = 1 << 20) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Reads every record that `bytes` completes; an incomplete last record waits for more bytes.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Record) throws -> Void) rethrows {
        buffer.append(contentsOf: bytes)
        let consumed = try parse(final: false, body)
        buffer.removeFirst(consumed)
    }

    /// Reads the last record (one without a final line break) once the body has ended.
    mutating func finish(_ body: (Record) throws -> Void) rethrows {
        _ = try parse(final: true, body)
        buffer.removeAll()
    }

    /// Parses complete records from the start of `buffer` and returns how many bytes they took.
    private mutating func parse(final: Bool, _ body: (Record) throws -> Void) rethrows -> Int {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let maxRecordBytes = self.maxRecordBytes
        var consumed = 0
        // Copies out of `self` so the loop works on locals; written back at the end.
        var fields = self.fields
        var recordCount = self.recordCount
        var skipping = self.skipping
        defer {
            self.fields = fields
            self.recordCount = recordCount
            self.skipping = skipping
        }
        try buffer.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            var position = 0
            while position < count {
                if skipping {
                    guard let end = (position..<count).first(where: { bytes[$0] == newline }) else {
                        position = count
                        consumed = count
                        break
                    }
                    position = end + 1
                    consumed = position
                    skipping = false
                    continue
                }
                // One record from `position`. Nothing is written into the buffer until the record
                // is complete, so an incomplete one is scanned again from its start with more bytes.
                let recordStart = position
                var state = State.fieldStart
                var problem: Problem?
                var fieldStart = position
                var quotedEnd = position  // the closing quote of the current quoted field
                var escaped = false
                fields.removeAll(keepingCapacity: true)
                var complete = false
                var index = position
                scan: while index < count {
                    let byte = bytes[index]
                    switch state {
                    case .fieldStart:
                        if byte == quote {
                            state = .quoted
                            escaped = false
                            fieldStart = index + 1
                        } else if byte == comma {
                            fields.append(Field(start: index, end: index, quoted: false, escaped: false))
                            fieldStart = index + 1
                        } else if byte == newline {
                            fields.append(Field(start: index, end: Self.trimCR(bytes, from: fieldStart, to: index), quoted: false, escaped: false))
                            complete = true
                            index += 1
                            break scan
                        } else {
                            state = .unquoted
                            fieldStart = index
                        }
                    case .unquoted:
                        if byte == comma {
                            fields.append(Field(start: fieldStart, end: index, quoted: false, escaped: false))
                            state = .fieldStart
                            fieldStart = index + 1
                        } else if byte == newline {
                            fields.append(Field(start: fieldStart, end: Self.trimCR(bytes, from: fieldStart, to: index), quoted: false, escaped: false))
                            complete = true
                            index += 1
                            break scan
                        } else if byte == quote, problem == nil {
                            problem = .strayQuote
                        }
                    case .quoted:
                        if byte == quote {
                            state = .quoteInQuoted
                            quotedEnd = index
                        }
                    case .quoteInQuoted:
                        if byte == quote, quotedEnd == index - 1 {  // a doubled quote: one quote in the value
                            escaped = true
                            state = .quoted
                        } else if byte == comma {
                            fields.append(Field(start: fieldStart, end: quotedEnd, quoted: true, escaped: escaped))
                            state = .fieldStart
                            fieldStart = index + 1
                        } else if byte == newline {
                            fields.append(Field(start: fieldStart, end: quotedEnd, quoted: true, escaped: escaped))
                            complete = true
                            index += 1
                            break scan
                        } else if byte == cr, quotedEnd == index - 1 {
                            // CRLF after the closing quote: the LF ends the record; a CR followed by
                            // anything else is text after the quote.
                            if index + 1 < count, bytes[index + 1] != newline {
                                if problem == nil { problem = .textAfterClosingQuote }
                                state = .unquoted
                            }
                        } else {
                            if problem == nil { problem = .textAfterClosingQuote }
                            state = .unquoted
                        }
                    }
                    index += 1
                }
                if !complete {
                    let tooLarge = index - recordStart > maxRecordBytes || (!final && count - recordStart > maxRecordBytes)
                    if tooLarge || (final && state == .quoted) {
                        // A record that never ends: most often a quote that is never closed. It is
                        // one bad row, and reading goes on at the line break after its start, so
                        // the rows it swallowed are read after all.
                        recordCount += 1
                        fields.removeAll(keepingCapacity: true)
                        let problem: Problem = tooLarge ? .tooLarge(maxRecordBytes) : .unterminatedQuote
                        try fields.withUnsafeBufferPointer {
                            try body(Record(base: bytes, fields: $0, problem: problem, number: recordCount))
                        }
                        if let lineBreak = (recordStart..<count).first(where: { bytes[$0] == newline }) {
                            position = lineBreak + 1
                            consumed = position
                            continue
                        }
                        skipping = !final
                        position = count
                        consumed = count
                        break
                    }
                    guard final else { break }  // wait for the rest of the record
                    if index == recordStart { break }  // nothing left
                    switch state {
                    case .quoted:
                        preconditionFailure("handled above")
                    case .quoteInQuoted:
                        fields.append(Field(start: fieldStart, end: quotedEnd, quoted: true, escaped: escaped))
                    case .unquoted:
                        fields.append(Field(start: fieldStart, end: Self.trimCR(bytes, from: fieldStart, to: count), quoted: false, escaped: false))
                    case .fieldStart:
                        fields.append(Field(start: count, end: count, quoted: false, escaped: false))
                    }
                    index = count
                } else if index - recordStart > maxRecordBytes + 1 {
                    problem = .tooLarge(maxRecordBytes)
                }
                // The record is complete: undo doubled quotes in place (it is never scanned again).
                for field in fields.indices where fields[field].escaped {
                    let target = UnsafeMutablePointer(mutating: bytes.baseAddress!)
                    var read = fields[field].start, write = read
                    while read < fields[field].end {
                        target[write] = bytes[read]
                        read += bytes[read] == quote ? 2 : 1
                        write += 1
                    }
                    fields[field].end = write
                }
                recordCount += 1
                // A blank line is not a record.
                let blank = fields.count == 1 && fields[0].start == fields[0].end && !fields[0].quoted && problem == nil
                if !blank {
                    try fields.withUnsafeBufferPointer { try body(Record(base: bytes, fields: $0, problem: problem, number: recordCount)) }
                } else {
                    recordCount -= 1
                }
                position = index
                consumed = index
            }
        }
        return consumed
    }

    /// The end of an unquoted field, without the CR of a CRLF.
    private static func trimCR(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        end > start && bytes[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
    }
}
