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
        var id: UInt64?, model: String?, version: String?, shadow = false, latency: Double?
        var dimensions = 0, rows = 0, columns = 1
        // Inference writes the shape before the data: then each row's class is found as its
        // numbers go by and none is kept; otherwise the numbers are kept and read after.
        var numbers: [Double] = [], classes: [Int] = [], values: [Double] = [], count = 0
        var best = 0, bestValue = -Double.infinity, column = 0, streamed = false
        var skimmer = JSONSkimmer(bytes)
        let read = skimmer.object { key, value in
            switch key {
            case "id":
                id = value.withStringBytes(DuplicateFilter.hash)
                return id != nil
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
                        case "shape": return field.array { index, dimension in
                            guard let size = dimension.integer(), size >= 0 else { return false }
                            if index == 0 { rows = size } else if index == 1 { columns = size }
                            dimensions += 1
                            return true
                        }
                        case "data":
                            streamed = dimensions > 0 && columns > 0
                            return numbersIn(&field) { number in
                                count += 1
                                guard streamed else { numbers.append(number); return }
                                if columns == 1 {
                                    if number.isFinite { values.append(number) }
                                    return
                                }
                                if number > bestValue { (best, bestValue) = (column, number) }
                                column += 1
                                if column == columns {
                                    classes.append(best)
                                    (best, bestValue, column) = (0, -Double.infinity, 0)
                                }
                            }
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
        guard dimensions > 0, rows > 0, columns > 0, count == rows * columns else {
            throw Unreadable(description: "PredictionCompleted outputs[0] holds \(count) values for a shape of \(rows) × \(columns)")
        }
        if !streamed {
            if columns == 1 {
                values = numbers.filter(\.isFinite)
            } else {
                for row in 0..<rows {
                    var top = 0
                    for column in 1..<columns where numbers[row * columns + column] > numbers[row * columns + top] { top = column }
                    classes.append(top)
                }
            }
        }
        return StreamRecord.Answer(version: MonitoredVersion(tenant: tenant, model: model, version: version), requestId: id, time: time,
                                   shadow: shadow, latency: latency, columns: columns, classes: classes, values: values)
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

    /// Every number of a (possibly nested) array, in order.
    private static func numbersIn(_ skimmer: inout JSONSkimmer, _ each: (Double) -> Void) -> Bool {
        skimmer.array { _, element in
            element.skipSpace()
            if let number = element.number() {
                each(number)
                return true
            }
            return numbersIn(&element, each)
        }
    }
}
