import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit

/// Datasets: registration and schema evolution, uploads that create versions, raw-stream
/// versions sealed on request, and reading datasets, versions and quality reports. Everything is
/// the caller's tenant's: another tenant's dataset is answered like a missing one.
struct DatasetRoutes: Sendable {
    let context: ServiceContext
    let store: DatasetStore
    let closer: VersionCloser
    let upload: DatasetUpload
    let sampleLimit: Int

    func add(to api: RouterGroup<APIRequestContext>) {
        api.post("/v1/datasets") { request, context in
            let caller = try context.requireCaller(.developer)
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context) { bytes, transaction in
                let body = try JSONRequestBody.decode(SchemaDefinition.self, from: bytes)
                guard let name = body.name else {
                    throw APIError.unprocessable("name is required", code: "missing_field", details: ["field": "name"])
                }
                let dataset = DatasetRecord(datasetId: "ds-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16),
                                            tenantId: caller.tenantId, name: try CommandText.name(name, field: "name"), schemaVersion: 1,
                                            schema: try body.schema(), createdAt: .now)
                guard try await store.create(dataset, on: transaction.connection, logger: transaction.logger) else {
                    throw APIError.conflict("the tenant already has a dataset named \(dataset.name)", code: "dataset_exists",
                                            details: ["name": dataset.name])
                }
                try await transaction.publish(DatasetRegistered(datasetId: dataset.datasetId, tenantId: caller.tenantId, name: dataset.name,
                                                                schema: dataset.schema),
                                              key: dataset.datasetId, subject: dataset.datasetId, tenantId: caller.tenantId)
                try await transaction.audit(.datasetRegister, by: caller, resource: "datasets/\(dataset.datasetId)",
                                            details: ["name": .string(dataset.name), "columns": .number(Double(dataset.schema.columns.count))])
                return try CommandAnswer(.created, dataset)
            }
        }

        api.get("/v1/datasets") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<String>(request)
            let found = try await store.datasets(tenant: caller.tenantId, after: page.after, limit: page.limit + 1,
                                                 client: self.context.postgres, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.name))
        }

        api.get("/v1/datasets/:dataset") { _, context in
            let caller = try context.requireCaller(.viewer)
            return try JSONResponse.events(.ok, try await requireDataset(context, tenant: caller.tenantId))
        }

        api.put("/v1/datasets/:dataset/schema") { request, context in
            let caller = try context.requireCaller(.developer)
            let datasetId = try context.parameters.require("dataset")
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context) { bytes, transaction in
                let body = try JSONRequestBody.decode(SchemaDefinition.self, from: bytes)
                let schema = try body.schema()
                guard var dataset = try await store.dataset(datasetId, tenant: caller.tenantId, lock: true, on: transaction.connection,
                                                            logger: transaction.logger) else { throw Self.unknownDataset(datasetId) }
                if let name = body.name, name != dataset.name {
                    throw CommandText.invalid("name", "cannot change (the dataset is \(dataset.name))")
                }
                let (changes, incompatible) = SchemaEvolution.compare(dataset.schema, schema)
                guard incompatible.isEmpty else {
                    throw APIError.conflict("the new schema is incompatible: \(incompatible.joined(separator: "; "))", code: "incompatible_schema",
                                            details: ["reasons": incompatible.joined(separator: "; ")])
                }
                guard !changes.isEmpty else { return try CommandAnswer(.ok, dataset) }
                dataset.schemaVersion += 1
                dataset.schema = schema
                try await store.saveSchema(datasetId, version: dataset.schemaVersion, schema: schema, changes: changes,
                                           on: transaction.connection, logger: transaction.logger)
                try await transaction.publish(DatasetSchemaEvolved(datasetId: datasetId, schemaVersion: dataset.schemaVersion, schema: schema,
                                                                   changes: changes),
                                              key: datasetId, subject: datasetId, tenantId: caller.tenantId)
                try await transaction.audit(.datasetEvolve, by: caller, resource: "datasets/\(datasetId)",
                                            details: ["schema_version": .number(Double(dataset.schemaVersion)),
                                                      "changes": .array(changes.map(JSONValue.string))])
                return try CommandAnswer(.ok, dataset)
            }
        }

        api.post("/v1/datasets/:dataset/versions") { request, context in
            let caller = try context.requireCaller(.developer)
            let dataset = try await requireDataset(context, tenant: caller.tenantId)
            return try await upload.run(request, dataset: dataset, caller: caller)
        }

        api.get("/v1/datasets/:dataset/versions") { request, context in
            let caller = try context.requireCaller(.viewer)
            let dataset = try await requireDataset(context, tenant: caller.tenantId)
            let page = try PageRequest<Int>(request)
            var status: VersionStatus?
            if let text = request.uri.queryParameters["status"].map(String.init) {
                guard let value = VersionStatus(rawValue: text) else {
                    throw APIError.badRequest("status must be receiving, open, sealed or failed", code: "invalid_status")
                }
                status = value
            }
            let found = try await store.versions(dataset.datasetId, tenant: caller.tenantId, after: page.after, status: status,
                                                 limit: page.limit + 1, client: self.context.postgres, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.version))
        }

        api.get("/v1/datasets/:dataset/versions/:version") { _, context in
            let caller = try context.requireCaller(.viewer)
            return try JSONResponse.events(.ok, try await requireVersion(context, tenant: caller.tenantId))
        }

        api.get("/v1/datasets/:dataset/versions/:version/quality") { request, context in
            let caller = try context.requireCaller(.viewer)
            let version = try await requireVersion(context, tenant: caller.tenantId)
            let page = try PageRequest<Int>(request)
            let counts = try await store.reportCounts(version.datasetId, version: version.version, client: self.context.postgres, logger: context.logger)
            let samples = try await store.reportSamples(version.datasetId, version: version.version, after: page.after, limit: page.limit + 1,
                                                        client: self.context.postgres, logger: context.logger)
            let sampled = page.page(samples.map { SampleItem(seq: $0.seq, sample: $0.sample) }, position: \.seq)
            return try JSONResponse.events(.ok, QualityReportBody(
                datasetId: version.datasetId, version: version.version, status: version.status, rowsRead: version.rowsRead,
                rowsAccepted: version.rowsAccepted, rowsRejected: version.rowsRejected,
                rejectedShare: version.rowsRead == 0 ? 0 : Double(version.rowsRejected) / Double(version.rowsRead),
                maxRejectedShare: closer.maxRejectedShare,
                problems: counts.map { QualityReportBody.Problem(column: $0.column, rule: $0.rule, rows: $0.rows) },
                samplesKept: sampleLimit, items: sampled.items.map(\.sample), nextCursor: sampled.nextCursor))
        }

        api.post("/v1/datasets/:dataset/versions/:version/seal") { request, context in
            let caller = try context.requireCaller(.developer)
            let datasetId = try await requireDataset(context, tenant: caller.tenantId).datasetId
            let number = try Self.versionNumber(context)
            return try await IdempotentCommand.run(request, tenant: caller.tenantId, context: self.context, allowEmpty: true) { _, transaction in
                guard let dataset = try await store.dataset(datasetId, tenant: caller.tenantId, on: transaction.connection, logger: transaction.logger) else {
                    throw Self.unknownDataset(datasetId)
                }
                guard let version = try await store.version(datasetId, number, tenant: caller.tenantId, on: transaction.connection, lock: true,
                                                            logger: transaction.logger) else { throw Self.unknownVersion(datasetId, number) }
                guard version.status == .open else {
                    throw APIError.conflict("version \(number) is \(version.status.rawValue); only a version open for raw records is sealed on request",
                                            code: "version_not_open", details: ["status": version.status.rawValue])
                }
                let (_, _, state) = try await store.openVersion(of: dataset, on: transaction.connection, logger: transaction.logger)
                guard let schema = try await store.schema(datasetId, version: version.schemaVersion, on: transaction.connection,
                                                          logger: transaction.logger) else { throw Self.unknownVersion(datasetId, number) }
                let report = state?.report ?? QualityReport(sampleLimit: sampleLimit)
                let accumulators = state?.accumulators ?? schema.columns.map(ColumnAccumulator.init)
                try await transaction.audit(.datasetSeal, by: caller, resource: "datasets/\(datasetId)/versions/\(number)")
                let outcome = try await closer.close(dataset: dataset, version: number, schemaVersion: version.schemaVersion, schema: schema,
                                                     report: report, accumulators: accumulators, bytes: 0, digest: nil,
                                                     answer: { _ in nil }, in: transaction)
                switch outcome {
                case .sealed(let record):
                    return try CommandAnswer(.ok, record)
                case .failed:
                    let error = DatasetUpload.qualityError(report, dataset: datasetId, version: number, maxShare: closer.maxRejectedShare)
                    return CommandAnswer(status: error.status, body: error.body)
                }
            }
        }
    }

    private func requireDataset(_ context: APIRequestContext, tenant: String) async throws -> DatasetRecord {
        let datasetId = try context.parameters.require("dataset")
        guard let dataset = try await store.dataset(datasetId, tenant: tenant, client: self.context.postgres, logger: context.logger) else {
            throw Self.unknownDataset(datasetId)
        }
        return dataset
    }

    private func requireVersion(_ context: APIRequestContext, tenant: String) async throws -> VersionRecord {
        let datasetId = try await requireDataset(context, tenant: tenant).datasetId
        let number = try Self.versionNumber(context)
        let found = try await self.context.postgres.withConnection { connection in
            try await store.version(datasetId, number, tenant: tenant, on: connection, logger: context.logger)
        }
        guard let found else { throw Self.unknownVersion(datasetId, number) }
        return found
    }

    private static func versionNumber(_ context: APIRequestContext) throws -> Int {
        let text = try context.parameters.require("version")
        guard let number = Int(text), number > 0, number <= Int(Int32.max) else {
            throw APIError.notFound("dataset version \(text.prefix(40)) does not exist: versions are numbered from 1", code: "unknown_version")
        }
        return number
    }

    static func unknownDataset(_ id: String) -> APIError {
        APIError.notFound("dataset \(id.prefix(80)) does not exist", code: "unknown_dataset")
    }

    static func unknownVersion(_ id: String, _ version: Int) -> APIError {
        APIError.notFound("dataset \(id.prefix(80)) has no version \(version)", code: "unknown_version")
    }

    struct SampleItem: Encodable, Sendable {
        let seq: Int
        let sample: QualityReport.Sample
    }

    /// A version's quality report: totals, problems per column and rule, and a page of the sampled problems.
    struct QualityReportBody: Encodable {
        struct Problem: Encodable {
            let column: String?
            let rule: String
            let rows: Int
        }

        let datasetId: String
        let version: Int
        let status: VersionStatus
        let rowsRead: Int
        let rowsAccepted: Int
        let rowsRejected: Int
        let rejectedShare: Double
        let maxRejectedShare: Double
        let problems: [Problem]
        /// How many problems a version keeps with their row and value (the first ones found).
        let samplesKept: Int
        let items: [QualityReport.Sample]
        let nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(datasetId, forKey: .datasetId)
            try container.encode(version, forKey: .version)
            try container.encode(status, forKey: .status)
            try container.encode(rowsRead, forKey: .rowsRead)
            try container.encode(rowsAccepted, forKey: .rowsAccepted)
            try container.encode(rowsRejected, forKey: .rowsRejected)
            try container.encode(rejectedShare, forKey: .rejectedShare)
            try container.encode(maxRejectedShare, forKey: .maxRejectedShare)
            try container.encode(problems, forKey: .problems)
            try container.encode(samplesKept, forKey: .samplesKept)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor)  // null on the last page
        }

        enum CodingKeys: CodingKey {
            case datasetId, version, status, rowsRead, rowsAccepted, rowsRejected, rejectedShare, maxRejectedShare, problems, samplesKept, items, nextCursor
        }
    }
}
