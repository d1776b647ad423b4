import Hummingbird
import IntelliCoreEvents
import IntelliCorePostgres
import IntelliCoreServiceKit
import PostgresNIO

/// The read API under `/v1/training/`: jobs with their status and progress, runs with their
/// metric history, models, versions with metrics and alias history — the caller's tenant only
/// (another tenant's job, run or model is answered as one that does not exist), paginated.
enum TrainingRoutes {
    static func add(to api: RouterGroup<APIRequestContext>, client: PostgresClient, schema: SchemaName) {
        let store = TrainingReadStore(schema: schema, client: client)

        api.get("/v1/training/jobs") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<Int>(request)
            let model = try request.filter("model")
            let found = try await store.jobs(tenant: caller.tenantId, model: model, after: page.after, limit: page.limit + 1, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.sequence))
        }
        api.get("/v1/training/jobs/:job") { _, context in
            let caller = try context.requireCaller(.viewer)
            let id = try context.parameters.require("job")
            guard !id.utf8.contains(0), let job = try await store.job(tenant: caller.tenantId, id: id, logger: context.logger) else {
                throw APIError.notFound("training job \(id) does not exist", code: "unknown_job")
            }
            return try JSONResponse.events(.ok, job)
        }
        api.get("/v1/training/runs/:run") { _, context in
            let caller = try context.requireCaller(.viewer)
            return try JSONResponse.events(.ok, try await requireRun(store, context, tenant: caller.tenantId))
        }
        api.get("/v1/training/runs/:run/metrics") { request, context in
            let caller = try context.requireCaller(.viewer)
            let run = try await requireRun(store, context, tenant: caller.tenantId)
            let page = try PageRequest<Int>(request)
            let name = try request.filter("name")
            // One page holds whole steps: one step past the limit tells whether there is more.
            let points = try await store.metrics(run: run.runId, name: name, afterStep: page.after, steps: page.limit + 1, logger: context.logger)
            let steps = Array(Set(points.map(\.step))).sorted()
            let shown = Set(steps.prefix(page.limit))
            let next = steps.count > page.limit ? steps.prefix(page.limit).last : nil
            return try JSONResponse.events(.ok, MetricHistory(runId: run.runId, points: points.filter { shown.contains($0.step) },
                                                              nextCursor: next.map { PageRequest<Int>.cursor(for: $0) }))
        }
        api.get("/v1/training/models") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<String>(request)
            let found = try await store.models(tenant: caller.tenantId, after: page.after, limit: page.limit + 1, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.modelName))
        }
        api.get("/v1/training/models/:model/versions") { request, context in
            let caller = try context.requireCaller(.viewer)
            let model = try requireModel(context)
            let page = try PageRequest<Int>(request)
            let found = try await store.versions(tenant: caller.tenantId, model: model, after: page.after, limit: page.limit + 1, logger: context.logger)
            guard !found.isEmpty || page.after != nil else { throw unknownModel(model) }
            return try JSONResponse.events(.ok, page.page(found, position: \.version))
        }
        api.get("/v1/training/models/:model/versions/:version") { _, context in
            let caller = try context.requireCaller(.viewer)
            let model = try requireModel(context)
            guard let version = Int(try context.parameters.require("version")) else {
                throw APIError.badRequest("the version is a whole number", code: "invalid_version")
            }
            guard (1...Int(Int32.max)).contains(version) else {
                throw APIError.notFound("model \(model) has no version \(version)", code: PredictionFailureCode.unknownVersion.rawValue)
            }
            guard let found = try await store.versions(tenant: caller.tenantId, model: model, version: version, after: nil, limit: 1,
                                                       logger: context.logger).first else {
                throw APIError.notFound("model \(model) has no version \(version)", code: PredictionFailureCode.unknownVersion.rawValue)
            }
            return try JSONResponse.events(.ok, found)
        }
        api.get("/v1/training/models/:model/aliases/history") { request, context in
            let caller = try context.requireCaller(.viewer)
            let model = try requireModel(context)
            let page = try PageRequest<Int>(request)
            let alias = try request.filter("alias")
            let found = try await store.history(tenant: caller.tenantId, model: model, alias: alias, after: page.after, limit: page.limit + 1,
                                                logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.sequence))
        }
    }

    struct MetricHistory: Encodable, Sendable {
        let runId: String
        let points: [MetricPoint]
        let nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case runId, points, nextCursor
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(runId, forKey: .runId)
            try container.encode(points, forKey: .points)
            try container.encode(nextCursor, forKey: .nextCursor) // null on the last page, never absent
        }
    }

    private static func requireRun(_ store: TrainingReadStore, _ context: APIRequestContext, tenant: String) async throws -> RunView {
        let id = try context.parameters.require("run")
        guard !id.utf8.contains(0), let run = try await store.run(tenant: tenant, id: id, logger: context.logger) else {
            throw APIError.notFound("run \(id) does not exist", code: "unknown_run")
        }
        return run
    }


    /// The model in the path; a name no model can have (a NUL) is unknown.
    private static func requireModel(_ context: APIRequestContext) throws -> String {
        let model = try context.parameters.require("model")
        guard !model.utf8.contains(0) else { throw unknownModel(model) }
        return model
    }

    private static func unknownModel(_ model: String) -> APIError {
        APIError.notFound("model \(model) is not registered", code: PredictionFailureCode.unknownModel.rawValue)
    }
}
