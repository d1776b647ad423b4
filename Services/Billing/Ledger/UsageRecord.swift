import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// One metered event: what the ledger stores, once per source event and meter.
struct UsageRecord: Sendable, Hashable {
    /// The `ce_id` of the event metered.
    let sourceEventId: String
    let meter: UsageMeter
    let tenantId: String
    /// Empty for usage that belongs to no model (dataset rows).
    let modelName: String
    let modelVersion: String
    let quantity: Double
    let occurredAt: Date
}

extension UsageRecord {
    /// A `PredictionCompleted`: one unit per row of the answer's batch dimension (the first
    /// output's `shape[0]`), read without decoding the output data. Shadow answers are not
    /// billed (nil). A payload without model, version or a positive batch size is refused.
    static func prediction(_ event: CloudEvent) throws -> UsageRecord? {
        let tenant = try event.owningTenant()
        var model: String?, version: String?, shadow = false, rows: Int?
        let read = event.data.withUnsafeBufferPointer { bytes in
            var skimmer = JSONSkimmer(bytes)
            return skimmer.object { key, value in
                switch key {
                case "model_name": model = value.string(); return model != nil
                case "model_version": version = value.string(); return version != nil
                case "shadow":
                    if let flag = value.boolean() { shadow = flag; return true }
                    return value.skipValue() // null: not a shadow
                case "outputs":
                    return value.array { position, output in
                        guard position == 0 else { return output.skipValue() }
                        return output.object { key, field in
                            guard key == "shape" else { return field.skipValue() }
                            return field.array { index, dimension in
                                guard index == 0 else { return dimension.skipValue() }
                                rows = dimension.integer()
                                return rows != nil
                            }
                        }
                    }
                default: return value.skipValue()
                }
            }
        }
        guard read else { throw EventRejection("PredictionCompleted payload is not a JSON object billing can read") }
        guard let model, !model.isEmpty, let version, !version.isEmpty else {
            throw EventRejection("PredictionCompleted without model_name and model_version cannot be billed")
        }
        guard let rows, rows > 0 else { throw EventRejection("PredictionCompleted without a positive batch size (outputs[0].shape[0])") }
        if shadow { return nil }
        return UsageRecord(sourceEventId: event.id, meter: .predictions, tenantId: tenant, modelName: model, modelVersion: version,
                           quantity: Double(rows), occurredAt: event.time)
    }

    /// A `ModelTrainingCompleted`: its run time in seconds, on the version it registered.
    static func training(_ event: CloudEvent) throws -> UsageRecord? {
        let completed = try event.decode(as: ModelTrainingCompleted.self)
        let tenant = try event.owningTenant(payload: completed.tenantId)
        guard completed.durationSeconds.isFinite, completed.durationSeconds >= 0 else {
            throw EventRejection("ModelTrainingCompleted with duration \(completed.durationSeconds) cannot be billed")
        }
        return UsageRecord(sourceEventId: event.id, meter: .trainingSeconds, tenantId: tenant, modelName: completed.modelName,
                           modelVersion: String(completed.version), quantity: completed.durationSeconds, occurredAt: event.time)
    }

    /// A `DatasetVersionSealed`: the rows it stores, and its size for the storage meter (when the event carries it).
    static func dataset(_ event: CloudEvent) throws -> (rows: UsageRecord, stored: StoredVersion?) {
        let tenant = try event.owningTenant()
        let sealed = try event.decode(as: DatasetVersionSealed.self)
        guard sealed.rowCount >= 0, (sealed.bytes ?? 0) >= 0 else {
            throw EventRejection("DatasetVersionSealed with \(sealed.rowCount) rows and \(sealed.bytes ?? 0) bytes cannot be billed")
        }
        let rows = UsageRecord(sourceEventId: event.id, meter: .datasetRows, tenantId: tenant, modelName: "", modelVersion: "",
                               quantity: Double(sealed.rowCount), occurredAt: event.time)
        let stored = sealed.bytes.map {
            StoredVersion(sourceEventId: event.id, tenantId: tenant, datasetId: sealed.datasetId, version: sealed.version, bytes: $0, sealedAt: event.time)
        }
        return (rows, stored)
    }
}
