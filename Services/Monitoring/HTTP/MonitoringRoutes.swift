import Foundation
import Hummingbird
import IntelliCoreEvents
import IntelliCoreServiceKit
import PostgresNIO

/// The monitoring API under `/v1/monitoring/`, for the caller's tenant: models with their
/// versions and aliases, health, metric windows, drift reports, objectives, alerts, training jobs
/// and the audit trail.
enum MonitoringRoutes {
    struct Dependencies: Sendable {
        let context: ServiceContext
        let live: LiveMetrics
        let catalog: ModelCatalog
        let store: CatalogStore
        let alerts: AlertStore
        let audit: AuditStore
        let jobs: TrainingJobStore
        let settings: MonitoringSettings
    }

    static let windows: [String: Int] = ["1m": 60, "5m": 300, "1h": 3600]

    static func add(to api: RouterGroup<APIRequestContext>, _ dependencies: Dependencies) {
        let client = dependencies.context.postgres
        /// `GET /v1/monitoring/models`: the tenant's models, their versions and aliases (traffic split).
        api.get("/v1/monitoring/models") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<String>(request)
            let found = try await dependencies.store.models(tenant: caller.tenantId, after: page.after, limit: page.limit + 1, client: client,
                                                          logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.modelName))
        }
        /// `GET /v1/monitoring/models/{model}/health`: each version's health, score and reasons.
        api.get("/v1/monitoring/models/:model/health") { _, context in
            let caller = try context.requireCaller(.viewer)
            let model = try context.parameters.require("model")
            let found = try await dependencies.alerts.health(tenant: caller.tenantId, model: model, client: client, logger: context.logger)
            guard !found.isEmpty || dependencies.catalog.entry(tenant: caller.tenantId, model: model) != nil else {
                throw APIError.notFound("model \(model) has no versions monitoring knows", code: "unknown_model")
            }
            return try JSONResponse.events(.ok, PageRequest<String>(limit: PageRequest<String>.maximumLimit).page(found, position: \.modelVersion))
        }
        /// `GET /v1/monitoring/models/{model}/versions/{version}/metrics?window=1m|5m|1h`.
        api.get("/v1/monitoring/models/:model/versions/:version/metrics") { request, context in
            let caller = try context.requireCaller(.viewer)
            let version = try monitored(caller, context)
            let name = try request.filter("window") ?? "1m"
            guard let seconds = windows[name] else {
                throw APIError.badRequest("window is one of 1m, 5m, 1h", code: "invalid_window", details: ["parameter": "window"])
            }
            let now = Date().timeIntervalSince1970
            guard let slot = dependencies.live.window(version, seconds: seconds, now: now) else {
                throw APIError.notFound("no traffic of \(version.model) version \(version.version) since this instance started", code: "no_traffic")
            }
            return try JSONResponse.events(.ok, WindowSummary(version, slot, seconds: seconds, now: now))
        }
        /// `GET /v1/monitoring/models/{model}/versions/{version}/drift`: every feature against the training baseline.
        api.get("/v1/monitoring/models/:model/versions/:version/drift") { _, context in
            let caller = try context.requireCaller(.viewer)
            let version = try monitored(caller, context)
            let own = try await dependencies.store.objectives(tenant: caller.tenantId, model: version.model, client: client, logger: context.logger)
            let objectives = (own ?? ModelObjectives()).over(dependencies.settings.objectives)
            guard let report = dependencies.live.drift(version, now: Date().timeIntervalSince1970, thresholds: objectives.drift ?? .standard) else {
                throw APIError.notFound("no sampled inputs of \(version.model) version \(version.version) to compare with its baseline",
                                        code: "no_inputs")
            }
            return try JSONResponse.events(.ok, report)
        }
        /// `GET /v1/monitoring/models/{model}/objectives`: the objectives in force (the model's own over the defaults).
        api.get("/v1/monitoring/models/:model/objectives") { _, context in
            let caller = try context.requireCaller(.viewer)
            let model = try context.parameters.require("model")
            let own = try await dependencies.store.objectives(tenant: caller.tenantId, model: model, client: client, logger: context.logger)
            return try JSONResponse.events(.ok, (own ?? ModelObjectives()).over(dependencies.settings.objectives))
        }
        /// `PUT /v1/monitoring/models/{model}/objectives`: the model's own objectives and drift thresholds (developer).
        api.put("/v1/monitoring/models/:model/objectives") { request, context in
            let caller = try context.requireCaller(.developer)
            let model = try context.parameters.require("model")
            let objectives = try JSONRequestBody.decode(ModelObjectives.self, from: try await JSONRequestBody.bytes(of: request))
            try objectives.validate()
            try await dependencies.store.setObjectives(tenant: caller.tenantId, model: model, objectives, client: client, logger: context.logger)
            return try JSONResponse.events(.ok, objectives.over(dependencies.settings.objectives))
        }
        /// `GET /v1/monitoring/alerts?model=&condition=`: raises and clears, newest first.
        api.get("/v1/monitoring/alerts") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<Int64>(request)
            let found = try await dependencies.alerts.alerts(tenant: caller.tenantId, model: try request.filter("model"),
                                                            condition: try request.filter("condition"), before: page.after,
                                                            limit: page.limit + 1, client: client, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.seq))
        }
        /// `GET /v1/monitoring/training-jobs`: jobs with their progress, latest change first.
        api.get("/v1/monitoring/training-jobs") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<TrainingJobStore.Position>(request)
            if let after = page.after, !(abs(after.updatedAt.timeIntervalSinceReferenceDate) < 1e10) {
                throw APIError.badRequest("cursor is not one this API issued", code: "invalid_cursor")
            }
            let found = try await dependencies.jobs.jobs(tenant: caller.tenantId, before: page.after, limit: page.limit + 1, client: client,
                                                        logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found) { TrainingJobStore.Position(updatedAt: $0.updatedAt, jobId: $0.jobId) })
        }
        /// `GET /v1/monitoring/audit?actor=&action=&since=&until=`: the audit trail, newest first.
        api.get("/v1/monitoring/audit") { request, context in
            let caller = try context.requireCaller(.viewer)
            let page = try PageRequest<Int64>(request)
            let filter = AuditStore.Filter(actor: try request.filter("actor"), action: try request.filter("action"),
                                           since: try time(request, "since"), until: try time(request, "until"))
            let found = try await dependencies.audit.records(tenant: caller.tenantId, filter: filter, before: page.after, limit: page.limit + 1,
                                                            client: client, logger: context.logger)
            return try JSONResponse.events(.ok, page.page(found, position: \.seq))
        }
    }

    private static func monitored(_ caller: Caller, _ context: APIRequestContext) throws -> MonitoredVersion {
        let model = try context.parameters.require("model"), version = try context.parameters.require("version")
        guard let number = Int(version), number > 0 else {
            throw APIError.badRequest("version is a whole number above 0", code: "invalid_version", details: ["parameter": "version"])
        }
        return MonitoredVersion(tenant: caller.tenantId, model: model, version: String(number))
    }

    private static func time(_ request: Request, _ name: String) throws(APIError) -> Date? {
        guard let text = try request.filter(name) else { return nil }
        guard let date = EventCodec.parseTime(text) else {
            throw APIError.badRequest("\(name) is an RFC 3339 time such as 2026-01-31T12:00:00Z", code: "invalid_time", details: ["parameter": name])
        }
        return date
    }
}
