import Foundation
import IntelliCoreEvents
import HTTPTypes
import Hummingbird
import IntelliCoreServiceKit

/// The body of `POST /v2/models/{model}[/versions/{version}]/infer`: an Open Inference Protocol
/// v2 inference request. The model comes from the path; `parameters.alias` picks a deployment
/// alias and `parameters.entity` a sticky key for canaries (and the answer's ordering key).
struct InferBody: Decodable {
    let id: String?
    let parameters: [String: JSONValue]?
    let inputs: [InferenceTensor]
    let outputs: [RequestedOutput]?

    var entity: String? {
        if case .string(let entity)? = parameters?["entity"] { return entity }
        return nil
    }

    /// `PredictionRequested` for the model, or a 422 naming what is wrong with the tensors.
    func event(model: String, version: String?) throws -> PredictionRequested {
        guard !inputs.isEmpty else { throw CommandText.invalid("inputs", "must hold at least one tensor") }
        for (index, input) in inputs.enumerated() {
            let (count, overflow) = input.shape.reduce((1, false)) { partial, dimension in
                let product = partial.0.multipliedReportingOverflow(by: max(dimension, 0))
                return (product.partialValue, partial.1 || product.overflow || dimension < 0)
            }
            guard !overflow, count == input.data.count else {
                throw APIError.unprocessable("inputs[\(index)] (\(input.name)) has shape \(input.shape) but \(input.data.count) values",
                                             code: PredictionFailureCode.invalidShape.rawValue, details: ["field": "inputs[\(index)].shape"])
            }
        }
        var alias: String?
        switch parameters?["alias"] {
        case .string(let name)?: alias = try CommandText.name(name, field: "parameters.alias")
        case nil, .null?: alias = nil
        default: throw CommandText.invalid("parameters.alias", "must be a string")
        }
        if version != nil && alias != nil { throw CommandText.invalid("parameters.alias", "cannot be combined with a version in the path") }
        let id = try id.map { try Self.requestId($0) } ?? UUID().uuidString.lowercased()
        return PredictionRequested(id: id, modelName: model, modelVersion: version, alias: alias, parameters: parameters, inputs: inputs,
                                   outputs: outputs)
    }

    private static func requestId(_ text: String) throws -> String {
        guard (1...128).contains(text.utf8.count), !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CommandText.invalid("id", "must be 1–128 characters without control characters")
        }
        return text
    }
}

/// How long a synchronous prediction may wait: `timeout_ms` (query) or `X-Timeout-Ms` (header),
/// else the configured default, never above the configured maximum.
struct PredictTimeouts: Sendable {
    static let header = HTTPField.Name("X-Timeout-Ms")!

    let defaultTimeout: Duration
    let maximum: Duration
    let maxBodyBytes: Int

    func timeout(of request: Request) throws -> Duration {
        guard let text = request.uri.queryParameters.get("timeout_ms") ?? request.headers[Self.header] else { return defaultTimeout }
        let maximumMilliseconds = Int(maximum.components.seconds * 1000)
        guard let milliseconds = Int(text), (1...maximumMilliseconds).contains(milliseconds) else {
            throw APIError.badRequest("timeout_ms (or X-Timeout-Ms) must be whole milliseconds from 1 to \(maximumMilliseconds)",
                                      code: "invalid_timeout", details: ["field": "timeout_ms"])
        }
        return .milliseconds(milliseconds)
    }
}
