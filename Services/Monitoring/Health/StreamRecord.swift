import Foundation
import IntelliCoreEvents

/// What one record of the prediction topics adds to the windows, read outside the lock.
enum StreamRecord: Sendable {
    /// A served or shadow answer: its rows' predicted classes or values, and its latency.
    case answer(Answer)
    case failure(MonitoredVersion, code: String, time: Double)
    /// Sampled inputs of a request, attributed to the version whose baseline they are compared with.
    case inputs(MonitoredVersion, rows: Int, values: [Float], time: Double)
    case feedback(requestId: UInt64, truth: Double, time: Double)

    struct Answer: Sendable {
        let version: MonitoredVersion
        let requestId: UInt64
        let time: Double
        let shadow: Bool
        /// Request time to answer time, from the answer's `timings.total_seconds`.
        let latency: Double?
        let columns: Int
        /// Per row: the argmax (classifiers, `columns` > 1) or the value (regressors).
        let classes: [Int]
        let values: [Double]
    }
}

/// Reads prediction answers (`PredictionCompleted`, `PredictionFailed`) straight from their
/// JSON with `JSONSkimmer`: ids, names, timings and the output rows, nothing decoded that is
/// not needed.
enum AnswerReader {
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    static func completed(_ bytes: UnsafeBufferPointer<UInt8>, tenant: String, time: Double) throws(Unreadable) -> StreamRecord.Answer {
        var id: String?, model: String?, version: String?, shadow = false, latency: Double?
        var shape: [Int] = [], numbers: [Double] = []
        var skimmer = JSONSkimmer(bytes)
        let read = skimmer.object { key, value in
            switch key {
            case "id": id = value.string(); return id != nil
            case "model_name": model = value.string(); return model != nil
            case "model_version": version = value.string(); return version != nil
            case "shadow":
                if let flag = value.boolean() { shadow = flag; return true }
                return value.skipValue()
            case "timings":
                return value.object { key, timing in
                    guard key == "total_seconds" else { return timing.skipValue() }
                    latency = timing.number()
                    if latency?.isFinite == false { latency = nil }
                    return true
                }
            case "outputs":
                return value.array { position, output in
                    guard position == 0 else { return output.skipValue() }
                    return output.object { key, field in
                        switch key {
                        case "shape": return field.array { _, dimension in
                            guard let size = dimension.integer() else { return false }
                            shape.append(size)
                            return true
                        }
                        case "data": return numbersIn(&field, into: &numbers)
                        default: return field.skipValue()
                        }
                    }
                }
            default: return value.skipValue()
            }
        }
        guard read else { throw Unreadable(description: "PredictionCompleted payload is not JSON monitoring can read") }
        guard let id, let model, !model.isEmpty, let version, !version.isEmpty else {
            throw Unreadable(description: "PredictionCompleted without id, model_name and model_version")
        }
        let rows = shape.first ?? 0, columns = shape.count > 1 ? shape[1] : 1
        guard rows > 0, columns > 0, numbers.count == rows * columns else {
            throw Unreadable(description: "PredictionCompleted outputs[0] holds \(numbers.count) values for shape \(shape)")
        }
        var classes: [Int] = [], values: [Double] = []
        if columns == 1 {
            values = numbers.filter(\.isFinite) // an overflowing regressor output is not a value to average
        } else {
            classes.reserveCapacity(rows)
            for row in 0..<rows {
                var best = 0
                for column in 1..<columns where numbers[row * columns + column] > numbers[row * columns + best] { best = column }
                classes.append(best)
            }
        }
        return StreamRecord.Answer(version: MonitoredVersion(tenant: tenant, model: model, version: version),
                                   requestId: DuplicateFilter.hash(id.utf8), time: time, shadow: shadow, latency: latency,
                                   columns: columns, classes: classes, values: values)
    }

    /// A `PredictionFailed`: the version it names (empty when it names none) and its code; nil
    /// for a shadow's failure or one that names no model (an undecodable request).
    static func failed(_ bytes: UnsafeBufferPointer<UInt8>, tenant: String, time: Double) throws(Unreadable) -> StreamRecord? {
        var model: String?, version: String?, code: String?, shadow = false
        var skimmer = JSONSkimmer(bytes)
        let read = skimmer.object { key, value in
            switch key {
            case "model_name": model = value.string(); return model != nil || value.skipValue()
            case "model_version": version = value.string(); return version != nil || value.skipValue()
            case "code": code = value.string(); return code != nil
            case "shadow":
                if let flag = value.boolean() { shadow = flag; return true }
                return value.skipValue()
            default: return value.skipValue()
            }
        }
        guard read, let code, !code.isEmpty else { throw Unreadable(description: "PredictionFailed without a code") }
        guard let model, !model.isEmpty, !shadow else { return nil }
        return .failure(MonitoredVersion(tenant: tenant, model: model, version: version ?? ""), code: code, time: time)
    }

    /// Every number of a (possibly nested) array.
    private static func numbersIn(_ skimmer: inout JSONSkimmer, into numbers: inout [Double]) -> Bool {
        skimmer.array { _, element in
            element.skipSpace()
            if let number = element.number() {
                numbers.append(number)
                return true
            }
            return numbersIn(&element, into: &numbers)
        }
    }
}
