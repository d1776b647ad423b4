/// The Open Inference Protocol v2 protobuf messages on Kafka (`content-type:
/// application/x-protobuf`), as Seldon Core v2 puts them there: `ModelInferRequest` in,
/// `ModelInferResponse` out. A direct wire-format reader and writer for the fields the platform
/// uses, so the hot path needs no generated code. Field numbers follow KServe's
/// `grpc_predict_v2.proto`. The alias travels as the request parameter `alias` (string).
public enum OIPProtobuf {
    public static let contentType = "application/x-protobuf"

    public enum Failure: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String { if case .malformed(let text) = self { return text }; return "malformed" }
    }

    // MARK: Reading

    public struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int
        let end: Int

        public init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, to end: Int? = nil) {
            self.bytes = bytes
            self.index = start
            self.end = end ?? bytes.count
        }

        public var atEnd: Bool { index >= end }

        public mutating func varint() throws(Failure) -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while index < end {
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                guard shift < 64 else { throw .malformed("varint too long") }
            }
            throw .malformed("truncated varint")
        }

        /// (field number, wire type)
        public mutating func tag() throws(Failure) -> (Int, UInt64) {
            let key = try varint()
            return (Int(key >> 3), key & 7)
        }

        /// The bounds of a length-delimited field.
        public mutating func delimited() throws(Failure) -> Range<Int> {
            let length = Int(try varint())
            guard length >= 0, index + length <= end else { throw .malformed("length past the end of the message") }
            defer { index += length }
            return index..<index + length
        }

        public mutating func fixed32() throws(Failure) -> UInt32 {
            guard index + 4 <= end else { throw .malformed("truncated fixed32") }
            var value: UInt32 = 0
            for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * offset) }
            index += 4
            return value
        }

        public mutating func fixed64() throws(Failure) -> UInt64 {
            guard index + 8 <= end else { throw .malformed("truncated fixed64") }
            var value: UInt64 = 0
            for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << (8 * offset) }
            index += 8
            return value
        }

        public mutating func skip(_ wireType: UInt64) throws(Failure) {
            switch wireType {
            case 0: _ = try varint()
            case 1: _ = try fixed64()
            case 2: _ = try delimited()
            case 5: _ = try fixed32()
            default: throw .malformed("unsupported wire type \(wireType)")
            }
        }

        public func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
    }

    public static func decodeRequest(_ data: [UInt8]) throws(Failure) -> OIPRequest {
        try data.withUnsafeBufferPointer { (bytes) throws(Failure) -> OIPRequest in
            var reader = Reader(bytes)
            var model = "", version: String?, id = "", alias: String?
            var inputs: [OIPRequest.Tensor] = []
            var raw: [Range<Int>] = []
            while !reader.atEnd {
                let (field, wire) = try reader.tag()
                switch (field, wire) {
                case (1, 2): model = reader.string(try reader.delimited())
                case (2, 2): let text = reader.string(try reader.delimited()); version = text.isEmpty ? nil : text
                case (3, 2): id = reader.string(try reader.delimited())
                case (4, 2):
                    if let (key, value) = try parameter(bytes, try reader.delimited()), key == "alias" { alias = value }
                case (5, 2): inputs.append(try tensor(bytes, try reader.delimited()))
                case (7, 2): raw.append(try reader.delimited())
                default: try reader.skip(wire)
                }
            }
            guard !model.isEmpty else { throw .malformed("model_name is required") }
            if !raw.isEmpty {
                guard raw.count == inputs.count else { throw .malformed("raw_input_contents must hold one entry per input") }
                for (index, range) in raw.enumerated() { inputs[index].numbers = try rawNumbers(bytes, range, datatype: inputs[index].datatype) }
            }
            return OIPRequest(id: id, modelName: model, modelVersion: version, alias: alias, inputs: inputs)
        }
    }

    /// A `map<string, InferParameter>` entry whose value is a string parameter.
    private static func parameter(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(Failure) -> (String, String)? {
        var reader = Reader(bytes, from: range.lowerBound, to: range.upperBound)
        var key: String?, value: String?
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            if field == 1, wire == 2 {
                key = reader.string(try reader.delimited())
            } else if field == 2, wire == 2 {
                var inner = Reader(bytes, from: 0, to: 0)
                let valueRange = try reader.delimited()
                inner = Reader(bytes, from: valueRange.lowerBound, to: valueRange.upperBound)
                while !inner.atEnd {
                    let (innerField, innerWire) = try inner.tag()
                    if innerField == 3, innerWire == 2 { value = inner.string(try inner.delimited()) } else { try inner.skip(innerWire) }
                }
            } else {
                try reader.skip(wire)
            }
        }
        guard let key, let value else { return nil }
        return (key, value)
    }

    private static func tensor(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(Failure) -> OIPRequest.Tensor {
        var reader = Reader(bytes, from: range.lowerBound, to: range.upperBound)
        var result = OIPRequest.Tensor(name: "", shape: [], datatype: "", numbers: nil, strings: nil)
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            switch (field, wire) {
            case (1, 2): result.name = reader.string(try reader.delimited())
            case (2, 2): result.datatype = reader.string(try reader.delimited())
            case (3, 0): result.shape.append(Int(Int64(bitPattern: try reader.varint())))
            case (3, 2):
                let packed = try reader.delimited()
                var inner = Reader(bytes, from: packed.lowerBound, to: packed.upperBound)
                while !inner.atEnd { result.shape.append(Int(Int64(bitPattern: try inner.varint()))) }
            case (5, 2): try contents(bytes, try reader.delimited(), into: &result)
            default: try reader.skip(wire)
            }
        }
        guard result.shape.allSatisfy({ $0 >= 0 }) else { throw .malformed("negative dimension in shape") }
        return result
    }

    /// `InferTensorContents`: packed or unpacked repeated numbers, or bytes.
    private static func contents(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into tensor: inout OIPRequest.Tensor) throws(Failure) {
        var reader = Reader(bytes, from: range.lowerBound, to: range.upperBound)
        var numbers: [Float] = [], strings: [String] = []
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            func each(_ read: (inout Reader) throws(Failure) -> Float) throws(Failure) {
                if wire == 2 {
                    let packed = try reader.delimited()
                    var inner = Reader(bytes, from: packed.lowerBound, to: packed.upperBound)
                    while !inner.atEnd { numbers.append(try read(&inner)) }
                } else {
                    numbers.append(try read(&reader))
                }
            }
            switch field {
            case 6: try each { (r: inout Reader) throws(Failure) in Float(bitPattern: try r.fixed32()) }
            case 7: try each { (r: inout Reader) throws(Failure) in Float(Double(bitPattern: try r.fixed64())) }
            case 1, 4, 5: try each { (r: inout Reader) throws(Failure) in Float(try r.varint()) }
            case 2: try each { (r: inout Reader) throws(Failure) in Float(Int32(truncatingIfNeeded: try r.varint())) }
            case 3: try each { (r: inout Reader) throws(Failure) in Float(Int64(bitPattern: try r.varint())) }
            case 8 where wire == 2: strings.append(reader.string(try reader.delimited()))
            default: try reader.skip(wire)
            }
        }
        if strings.isEmpty { tensor.numbers = numbers } else { tensor.strings = strings }
    }

    private static func rawNumbers(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, datatype: String) throws(Failure) -> [Float] {
        var reader = Reader(bytes, from: range.lowerBound, to: range.upperBound)
        let width: Int
        switch datatype {
        case "FP32", "INT32", "UINT32": width = 4
        case "FP64", "INT64", "UINT64": width = 8
        default: throw .malformed("raw contents are not supported for \(datatype)")
        }
        guard range.count % width == 0 else { throw .malformed("raw contents size is not a multiple of \(width)") }
        var values: [Float] = []
        values.reserveCapacity(range.count / width)
        while !reader.atEnd {
            switch datatype {
            case "FP32": values.append(Float(bitPattern: try reader.fixed32()))
            case "INT32": values.append(Float(Int32(bitPattern: try reader.fixed32())))
            case "UINT32": values.append(Float(try reader.fixed32()))
            case "FP64": values.append(Float(Double(bitPattern: try reader.fixed64())))
            case "INT64": values.append(Float(Int64(bitPattern: try reader.fixed64())))
            default: values.append(Float(try reader.fixed64()))
            }
        }
        return values
    }

    // MARK: Writing

    public struct Writer {
        public var bytes: [UInt8] = []

        public init() {}

        public mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        public mutating func tag(_ field: Int, _ wire: UInt64) { varint(UInt64(field) << 3 | wire) }

        public mutating func string(_ field: Int, _ text: String) {
            tag(field, 2)
            varint(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }

        public mutating func message(_ field: Int, _ body: [UInt8]) {
            tag(field, 2)
            varint(UInt64(body.count))
            bytes.append(contentsOf: body)
        }
    }

    /// `ModelInferResponse` with one FP32 output; a shadow answer carries parameter `shadow=true`.
    public static func encodeResponse(id: String, model: String, version: Int, outputName: String, rows: Int, columns: Int,
                               values: UnsafeBufferPointer<Float>, shadow: Bool) -> [UInt8] {
        var contents = Writer()
        contents.tag(6, 2)
        contents.varint(UInt64(values.count * 4))
        for value in values {
            let bits = value.bitPattern
            for offset in 0..<4 { contents.bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(offset)))) }
        }
        var shape = Writer()
        shape.varint(UInt64(rows))
        shape.varint(UInt64(columns))
        var tensor = Writer()
        tensor.string(1, outputName)
        tensor.string(2, "FP32")
        tensor.message(3, shape.bytes)
        tensor.message(5, contents.bytes)
        var response = Writer()
        response.string(1, model)
        response.string(2, String(version))
        response.string(3, id)
        if shadow {
            var parameter = Writer()
            parameter.tag(1, 0)
            parameter.varint(1)
            var entry = Writer()
            entry.string(1, "shadow")
            entry.message(2, parameter.bytes)
            response.message(4, entry.bytes)
        }
        response.message(5, tensor.bytes)
        return response.bytes
    }
}
