/// One named tensor of the Open Inference Protocol v2 (KServe, Triton, Seldon, MLServer).
///
/// `data` is row-major; nested arrays are accepted on decoding and flattened.
public struct InferenceTensor: Codable, Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    /// OIP datatype: `FP32`, `FP64`, `INT32`, `INT64`, `BOOL`, `BYTES` ….
    public var datatype: String
    public var data: TensorData
    public var parameters: [String: JSONValue]?

    public init(name: String, shape: [Int], datatype: String, data: TensorData, parameters: [String: JSONValue]? = nil) {
        self.name = name
        self.shape = shape
        self.datatype = datatype
        self.data = data
        self.parameters = parameters
    }
}

/// The flat contents of a tensor.
public enum TensorData: Codable, Sendable, Hashable {
    case numbers([Double])
    case booleans([Bool])
    case strings([String])

    public var count: Int {
        switch self {
        case .numbers(let values): values.count
        case .booleans(let values): values.count
        case .strings(let values): values.count
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let flat = Self.flatten(try container.decode(JSONValue.self))
        guard let flat else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "tensor data must be an array of one scalar type")
        }
        self = flat
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .numbers(let values): try container.encode(values)
        case .booleans(let values): try container.encode(values)
        case .strings(let values): try container.encode(values)
        }
    }

    private static func flatten(_ value: JSONValue) -> TensorData? {
        var numbers: [Double] = [], booleans: [Bool] = [], strings: [String] = []
        func walk(_ value: JSONValue) -> Bool {
            switch value {
            case .array(let items): return items.allSatisfy(walk)
            case .number(let number): numbers.append(number)
            case .bool(let bool): booleans.append(bool)
            case .string(let string): strings.append(string)
            case .null, .object: return false
            }
            return true
        }
        guard case .array = value, walk(value) else { return nil }
        switch (numbers.isEmpty, booleans.isEmpty, strings.isEmpty) {
        case (_, true, true): return .numbers(numbers)
        case (true, false, true): return .booleans(booleans)
        case (true, true, false): return .strings(strings)
        default: return nil
        }
    }
}

/// An output the caller asks for by name (OIP `outputs` in a request).
public struct RequestedOutput: Codable, Sendable, Hashable {
    public var name: String
    public var parameters: [String: JSONValue]?

    public init(name: String, parameters: [String: JSONValue]? = nil) {
        self.name = name
        self.parameters = parameters
    }
}
