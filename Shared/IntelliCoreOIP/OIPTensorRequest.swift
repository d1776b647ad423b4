/// The common OIP v2 request — one numeric tensor of shape `[rows, columns]` — read without
/// building an `OIPRequest`: strings stay ranges of the body, and the numbers are appended to a
/// buffer the caller owns (a batch's contiguous input), so a request costs no allocation.
///
/// Anything else (several inputs, strings, escapes in a string, another rank, an unknown
/// literal) answers `.unsupported`, and the caller decodes the body with `OIPRequest.decode`,
/// which takes every form; malformed JSON answers `.malformed`, as `OIPRequest.decode` would.
public struct OIPTensorRequest: Sendable {
    /// Byte ranges of the body, without the quotes.
    public var id: Range<Int>
    public var modelName: Range<Int>
    public var modelVersion: Range<Int>?
    public var alias: Range<Int>?
    public var tensorName: Range<Int>
    public var datatype: Range<Int>
    public var rows: Int
    public var columns: Int
    /// Where the tensor's numbers are in the caller's buffer.
    public var values: Range<Int>

    /// Reads `body`, appending the tensor's numbers to `numbers`. On any error `numbers` is left as it was.
    public static func decode(_ body: UnsafeBufferPointer<UInt8>, appendingTo numbers: inout [Float]) throws(OIPRequestDecoder.Failure) -> OIPTensorRequest {
        let before = numbers.count
        do {
            var decoder = OIPRequestDecoder(bytes: body)
            return try decoder.decodeTensorRequest(appendingTo: &numbers)
        } catch {
            numbers.removeSubrange(before...)
            throw error
        }
    }
}

extension OIPRequestDecoder {
    mutating func decodeTensorRequest(appendingTo numbers: inout [Float]) throws(Failure) -> OIPTensorRequest {
        var id: Range<Int>?, model: Range<Int>?, version: Range<Int>?, alias: Range<Int>?
        var tensor: (name: Range<Int>, datatype: Range<Int>, rows: Int, columns: Int, values: Range<Int>)?
        var sawInputs = false
        try object { decoder, key throws(Failure) in
            switch key {
            case "id": id = try decoder.stringRange()
            case "model_name": model = try decoder.stringRange()
            case "model_version": version = try decoder.optionalStringRange()
            case "alias": alias = try decoder.optionalStringRange()
            case "inputs":
                guard !sawInputs else { throw .unsupported }
                sawInputs = true
                try decoder.array { decoder throws(Failure) in
                    guard tensor == nil else { throw .unsupported } // several inputs: the general decoder
                    tensor = try decoder.numericTensor(appendingTo: &numbers)
                }
            default: try decoder.skipValue()
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw .malformed("trailing characters") }
        guard let id, let model, sawInputs else { throw .malformed("id, model_name and inputs are required") }
        guard let tensor else { throw .unsupported } // no inputs: the general path says why
        return OIPTensorRequest(id: id, modelName: model, modelVersion: version, alias: alias, tensorName: tensor.name,
                                datatype: tensor.datatype, rows: tensor.rows, columns: tensor.columns, values: tensor.values)
    }

    /// One input object whose shape has two dimensions and whose data are numbers (nested arrays flattened).
    private mutating func numericTensor(appendingTo numbers: inout [Float])
        throws(Failure) -> (name: Range<Int>, datatype: Range<Int>, rows: Int, columns: Int, values: Range<Int>) {
        var name: Range<Int>?, datatype: Range<Int>?
        var shape: (rows: Int, columns: Int)?, shapeSeen = false // two dimensions, no array
        var values: Range<Int>?
        try object { decoder, key throws(Failure) in
            switch key {
            case "name": name = try decoder.stringRange()
            case "datatype": datatype = try decoder.stringRange()
            case "shape":
                guard !shapeSeen else { throw .unsupported }
                shapeSeen = true
                var dimensions = 0, rows = 0, columns = 0
                try decoder.array { decoder throws(Failure) in
                    let value = try decoder.number()
                    guard value >= 0, value < 1e9, value == value.rounded() else { throw .malformed("shape must hold whole numbers") }
                    guard dimensions < 2 else { throw .unsupported }
                    if dimensions == 0 { rows = Int(value) } else { columns = Int(value) }
                    dimensions += 1
                }
                if dimensions == 2 { shape = (rows, columns) }
            case "data":
                guard values == nil else { throw .unsupported }
                let start = numbers.count
                try decoder.numbers(appendingTo: &numbers)
                values = start..<numbers.count
            default: try decoder.skipValue()
            }
        }
        guard let name, let datatype, let shape, let values else { throw .unsupported }
        return (name, datatype, shape.rows, shape.columns, values)
    }

    /// Numbers of a (possibly nested) array; strings or literals answer `.unsupported`.
    private mutating func numbers(appendingTo numbers: inout [Float]) throws(Failure) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "[") else { throw .malformed("data must be an array") }
        try array { decoder throws(Failure) in
            decoder.skipWhitespace()
            switch decoder.peek() {
            case UInt8(ascii: "["): try decoder.numbers(appendingTo: &numbers)
            case UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): throw .unsupported
            default: numbers.append(try decoder.float())
            }
        }
    }

    /// A string without escapes, as the range of its bytes.
    mutating func stringRange() throws(Failure) -> Range<Int> {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            }
            if byte == UInt8(ascii: "\\") { throw .unsupported }
            if byte < 0x20 { throw .malformed("control character in string") }
            index += 1
        }
        throw .malformed("unterminated string")
    }

    mutating func optionalStringRange() throws(Failure) -> Range<Int>? {
        skipWhitespace()
        if peek() == UInt8(ascii: "n") { try literal("null"); return nil }
        return try stringRange()
    }
}
