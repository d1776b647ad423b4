import IntelliCoreEvents
import IntelliCoreModels

/// Turns a request's OIP inputs into raw rows of a model's input schema: either one `[n, d]`
/// tensor or one tensor per feature (`[n]` or `[n, 1]`; category names as BYTES for one-hot
/// features, which become their category index). Inference feeds the rows to the network;
/// monitoring compares them with the training baseline.
public enum InputAssembler {
    public struct Rejection: Error {
        public let code: PredictionFailureCode
        public let message: String
    }

    public static let numericTypes: Set<String> = ["FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]

    /// FP32, the datatype of nearly every request, without hashing it (this runs per request).
    static func isNumeric(_ datatype: String) -> Bool { datatype == "FP32" || numericTypes.contains(datatype) }

    /// Returns (rows, row-major values of `rows × rawInputWidth`).
    public static func rows(for request: OIPRequest, schema: InputSchema) throws(Rejection) -> (Int, [Float]) {
        let width = schema.rawWidth
        guard !request.inputs.isEmpty else { throw Rejection(code: .invalidShape, message: "request has no inputs") }
        // A single input that is not named after a feature is the `[n, d]` tensor form.
        if request.inputs.count == 1, let tensor = request.inputs.first, isMatrix(name: tensor.name, schema: schema) {
            guard let numbers = tensor.numbers else {
                throw Rejection(code: .invalidDatatype, message: "input \(tensor.name) has datatype \(tensor.datatype); the model expects FP32")
            }
            try numbers.withUnsafeBufferPointer { numbers throws(Rejection) in
                try checkMatrix(name: tensor.name, datatype: tensor.datatype, shape: tensor.shape.count == 2 ? (tensor.shape[0], tensor.shape[1]) : nil,
                                shapeText: "\(tensor.shape)", values: numbers, schema: schema)
            }
            return (tensor.shape[0], numbers)
        }
        // One tensor per feature.
        var byName: [String: OIPRequest.Tensor] = [:]
        for tensor in request.inputs { byName[tensor.name] = tensor }
        var rows: Int?
        var values: [Float] = []
        for (column, feature) in schema.features.enumerated() {
            guard let tensor = byName[feature.name] else {
                throw Rejection(code: .missingInput, message: "input \(feature.name) is missing")
            }
            let n = tensor.shape.first ?? 0
            guard (tensor.shape.count == 1 || (tensor.shape.count == 2 && tensor.shape[1] == 1)), n > 0, tensor.count == n else {
                throw Rejection(code: .invalidShape, message: "input \(feature.name) has shape \(tensor.shape); expected [n] or [n,1]")
            }
            if let rows, rows != n {
                throw Rejection(code: .invalidShape, message: "inputs have different row counts (\(rows) and \(n))")
            }
            if rows == nil {
                rows = n
                values = [Float](repeating: 0, count: n * width)
            }
            guard let converted = try columnValues(tensor, feature: feature) else {
                throw Rejection(code: .invalidDatatype, message: "input \(feature.name) has datatype \(tensor.datatype)")
            }
            try checkFinite(converted, name: feature.name)
            for row in 0..<n { values[row * width + column] = converted[row] }
        }
        try checkCategories(values, rows: rows!, schema: schema)
        return (rows!, values)
    }

    /// Whether a single input called `name` is the `[n, d]` tensor form (not one feature's column).
    public static func isMatrix(name: String, schema: InputSchema) -> Bool {
        name == schema.tensorName || !schema.features.contains(where: { $0.name == name })
    }

    /// The checks of the `[n, d]` tensor form, on numbers wherever they are (a batch's buffer).
    /// `shape` is nil when the input does not have two dimensions; `shapeText` is only built for a message.
    public static func checkMatrix(name: String, datatype: String, shape: (rows: Int, columns: Int)?, shapeText: @autoclosure () -> String,
                                   values: UnsafeBufferPointer<Float>, schema: InputSchema) throws(Rejection) {
        let width = schema.rawWidth
        guard isNumeric(datatype) else {
            throw Rejection(code: .invalidDatatype, message: "input \(name) has datatype \(datatype); the model expects FP32")
        }
        guard let shape, shape.columns == width, shape.rows > 0 else {
            throw Rejection(code: .invalidShape, message: "input \(name) has shape \(shapeText()); the model expects [n,\(width)]")
        }
        guard values.count == shape.rows * width else {
            throw Rejection(code: .invalidShape, message: "input \(name) has \(values.count) values for shape \(shapeText())")
        }
        guard values.allSatisfy({ $0.isFinite }) else {
            throw Rejection(code: .nonFiniteInput, message: "input \(name) holds NaN or infinity")
        }
        try checkCategories(values, rows: shape.rows, schema: schema)
    }

    private static func columnValues(_ tensor: OIPRequest.Tensor, feature: FeatureSpec) throws(Rejection) -> [Float]? {
        if let strings = tensor.strings, tensor.datatype == "BYTES" {
            guard case .oneHot(let categories) = feature.preprocessing else { return nil }
            var indices: [Float] = []
            indices.reserveCapacity(strings.count)
            for value in strings {
                guard let index = categories.firstIndex(of: value) else {
                    throw Rejection(code: .unknownCategory, message: "input \(feature.name): \"\(value)\" is not one of \(categories)")
                }
                indices.append(Float(index))
            }
            return indices
        }
        guard isNumeric(tensor.datatype), let numbers = tensor.numbers else { return nil }
        return numbers
    }

    private static func checkFinite(_ values: [Float], name: String) throws(Rejection) {
        guard values.allSatisfy({ $0.isFinite }) else {
            throw Rejection(code: .nonFiniteInput, message: "input \(name) holds NaN or infinity")
        }
    }

    private static func checkCategories(_ values: [Float], rows: Int, schema: InputSchema) throws(Rejection) {
        try values.withUnsafeBufferPointer { values throws(Rejection) in try checkCategories(values, rows: rows, schema: schema) }
    }

    private static func checkCategories(_ values: UnsafeBufferPointer<Float>, rows: Int, schema: InputSchema) throws(Rejection) {
        let width = schema.rawWidth
        for (column, feature) in schema.features.enumerated() {
            guard case .oneHot(let categories) = feature.preprocessing else { continue }
            for row in 0..<rows {
                let value = values[row * width + column]
                guard let index = Int(exactly: value), categories.indices.contains(index) else {
                    throw Rejection(code: .unknownCategory, message: "input \(feature.name): \(value) is not a category index below \(categories.count)")
                }
            }
        }
    }
}
