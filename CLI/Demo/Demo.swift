import ArgumentParser
import Foundation
import IntelliCoreEvents

/// `./intellicore demo`: the platform's whole story on the Breast Cancer Wisconsin dataset, each
/// step printed as it happens with what was checked.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A guided tour on a real dataset: tenant, upload, two models, the gate, a canary under load, drift, retraining, rollback, the invoice.")

    @Option(help: "The tenant to create (default: demo-<random>).") var tenant: String?
    @Option(help: "Predictions streamed in each of the two load phases.") var predictions = 4000
    @Option(help: "The CSV to use instead of the bundled Breast Cancer Wisconsin fixture (its last column the target).") var data: String?
    @OptionGroup var connection: Connection

    func run() async throws {
        let path = data ?? Bundle.module.path(forResource: "breast-cancer-wisconsin", ofType: "csv")
        guard let path else { throw CLIError(.failed, "the demo's dataset is missing from the CLI's resources") }
        let story = DemoStory(connection: connection, tenant: tenant ?? "demo-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)",
                              dataPath: path, predictions: predictions)
        try await story.tell()
    }
}

struct DemoStory {
    let connection: Connection
    let tenant: String
    let dataPath: String
    let predictions: Int
    let model = "diagnosis"
    let narrator = DemoNarrator(steps: 11)
    var client: PlatformClient { connection.client }

    func tell() async throws {
        let admin = try connection.adminKey()
        let rows = try RowFile.rows(dataPath)
        let header = try SchemaInference.columns(csv: dataPath)
        guard let target = header.last?["name"]?.string, rows.count > 100 else { throw CLIError(.failed, "\(dataPath) has too few rows for the demo") }
        Terminal.line(Terminal.styled("IntelliCore demo", .bold) + " · tenant \(tenant) · \(URL(fileURLWithPath: dataPath).lastPathComponent) (\(rows.count) rows; CC BY 4.0, UCI)")

        // 1
        narrator.step("Create a tenant on a priced plan, and its keys")
        let plan = "demo"
        _ = try await client.call("POST", .billing, "/v1/billing/plans", key: admin, body: .object([
            "plan_id": .string(plan), "currency": "EUR", "meters": .object([
                "predictions": .object(["included": "1000", "unit": "1000", "tiers": .array([.object(["up_to": "100000", "unit_price": "0.50"]), .object(["unit_price": "0.30"])])]),
                "training_seconds": .object(["unit": "3600", "tiers": .array([.object(["unit_price": "2.00"])])]),
                "dataset_rows": .object(["unit": "1000000", "tiers": .array([.object(["unit_price": "1.00"])])]),
            ]),
        ]))
        _ = try await client.call("POST", .gateway, "/v1/tenants", key: admin,
                                  body: .object(["tenant_id": .string(tenant), "name": "Demo clinic", "plan": .string(plan)]))
        var keys: [String: String] = [:]
        for role in ["admin", "developer", "viewer"] {
            keys[role] = try await client.call("POST", .gateway, "/v1/tenants/\(tenant)/keys", key: admin, body: .object(["role": .string(role)]))["key"]?.string
        }
        guard let developer = keys["developer"], let viewer = keys["viewer"] else { throw CLIError(.failed, "keys were issued without their secret") }
        narrator.say("plan \(plan): 1,000 predictions included, then €0.50 per 1,000; training €2.00 per hour")
        let refused = try? await client.send("POST", .gateway, "/v1/commands/training-jobs", key: viewer, body: .data(Data("{}".utf8)),
                                             headers: ["Content-Type": "application/json"])
        try narrator.check(refused == nil, "a viewer key may read but not train (403)")

        // 2
        narrator.step("Register the dataset and upload it")
        let registered = try await client.call("POST", .gateway, "/v1/datasets", key: developer,
                                               body: .object(["name": "breast-cancer", "columns": .array(header), "target": .string(target)]))
        guard let datasetId = registered["dataset_id"]?.string else { throw CLIError(.failed, "no dataset id in \(registered)") }
        narrator.say("schema: \(header.count - 1) numeric features and the target \(target) (\(Format.cell(header.last?["categories"])))")
        let upload = try await client.send("POST", .gateway, "/v1/datasets/\(datasetId)/versions", key: developer, body: .file(URL(fileURLWithPath: dataPath)),
                                           headers: ["Content-Type": "text/csv"]).json
        narrator.say("version \(Format.cell(upload["version"])): \(Format.cell(upload["rows_accepted"])) rows accepted, \(Format.cell(upload["bytes"])) bytes")
        try narrator.check(upload["status"]?.string == "sealed" && upload["rows_accepted"]?.int == rows.count && upload["rows_rejected"]?.int == 0,
                           "sealed with every one of the \(rows.count) rows and none rejected", otherwise: upload.compact)

        // 3
        narrator.step("Train two models; the validation gate deploys the better one as champion")
        var trained: [(algorithm: String, version: Int, accuracy: Double, metrics: JSONValue)] = []
        for (algorithm, parameters) in [("logistic_regression", ["epochs": JSONValue.number(60)]),
                                        ("mlp", ["epochs": .number(80), "hidden_layers": .array([.number(16)])])] {
            let accepted = try await client.call("POST", .gateway, "/v1/commands/training-jobs", key: developer, body: .object([
                "model_name": .string(model), "dataset_id": .string(datasetId), "algorithm": .string(algorithm), "target": .string(target),
                "hyperparameters": .object(parameters), "retrain_on_drift": true,
                "validation_gate": .object(["metric": "accuracy", "threshold": .number(0.85)]),
            ]))
            narrator.say("\(algorithm): job \(Format.cell(accepted["job_id"]))")
            let job = try await Train.follow(job: accepted["job_id"]?.string ?? "", client: client, key: developer, timeout: .seconds(600))
            try Train.requireCompleted(job)
            let version = try await Train.registeredVersion(of: job, client: client, key: developer)
            let metrics = version?["metrics"] ?? .null
            trained.append((algorithm, job["version"]?.int ?? 0, metrics["accuracy"]?.double ?? 0, metrics))
        }
        Table(["version", "algorithm", "accuracy", "f1", "roc auc", "log loss", "best epoch"], rows: trained.map {
            [String($0.version), $0.algorithm, Format.cell($0.metrics["accuracy"]), Format.cell($0.metrics["f1"]),
             Format.cell($0.metrics["roc_auc"]), Format.cell($0.metrics["log_loss"]), Format.cell($0.metrics["best_epoch"])]
        }).print()
        let accuracies = trained.map { ($0.version, $0.accuracy) }
        try narrator.check(accuracies.allSatisfy { $0.1 >= 0.85 }, "both versions reach the gate's accuracy of 0.85 on the held-out split", otherwise: "\(accuracies)")
        // The gate moves the champion only to a version that beats it: the first, then the second if better.
        let best = accuracies[1].1 > accuracies[0].1 ? accuracies[1].0 : accuracies[0].0
        let other = best == accuracies[0].0 ? accuracies[1].0 : accuracies[0].0
        let champion = try await narrator.waitFor("the champion is version \(best), the better one", timeout: .seconds(60)) { () async throws -> Int? in
            let version = try await self.championVersion(key: viewer)
            return version == best ? version : nil
        }
        try narrator.check(champion == best, "the gate made version \(best) champion (accuracy \(Format.number(max(accuracies[0].1, accuracies[1].1))))")

        // 4
        narrator.step("Canary: 20 % of patients go to version \(other)")
        // The gateway learns of registered versions from intellicore.models, a moment after the registry.
        _ = try await narrator.waitFor("the gateway knows version \(other)", timeout: .seconds(60)) { () async throws -> Bool? in
            (try? await self.client.call("GET", .gateway, "/v2/models/\(self.model)/versions/\(other)/ready", key: viewer)) != nil ? true : nil
        }
        _ = try await client.call("POST", .gateway, "/v1/commands/models/\(model)/deploy", key: developer, body: .object([
            "version": .number(Double(best)), "traffic_policy": .object(["routes": .array([
                .object(["version": .number(Double(best)), "weight": 0.8]), .object(["version": .number(Double(other)), "weight": 0.2]),
            ])]),
        ]))
        _ = try await narrator.waitFor("the registry shows the canary", timeout: .seconds(60)) { () async throws -> Bool? in
            try await self.lastChampionMove(key: viewer) == "deploy" ? true : nil
        }
        try narrator.check(true, "champion → v\(best) 80 % / v\(other) 20 %")
        // Monitoring attributes each request's inputs to the champion's main route: it must have
        // met the canary on intellicore.models before the traffic starts.
        _ = try await narrator.waitFor("monitoring follows the canary", timeout: .seconds(120)) { () async throws -> Bool? in
            let champion = try await self.monitoredAliases(key: viewer).first { $0["alias"]?.string == "champion" }
            return (champion?["traffic_policy"]?["routes"]?.array ?? []).count == 2 ? true : nil
        }
        let features = Predict.features(of: try await Predict.newestVersion(of: model, client: client, key: viewer)).map(\.name)
        try narrator.check(features.count == header.count - 1, "the served model takes the \(features.count) features")
        let matrix = rows.map { row in features.map { Float(row[$0]?.double ?? 0) } }

        // 5
        narrator.step("Stream \(Format.count(predictions)) predictions onto intellicore.predictions.requests")
        let traffic = DemoTraffic(bootstrap: connection.kafkaBootstrap, prefix: connection.topicPrefix, tenant: tenant, model: model, features: features)
        let normal = try await traffic.run(rows: (0..<predictions).map { matrix[$0 % matrix.count] }, label: "load")
        narrator.say("\(Format.count(normal.answered)) answers in \(String(format: "%.1f", normal.seconds)) s (\(Format.count(Int(Double(normal.answered) / max(normal.seconds, 0.001)))) answers/s end to end, producer included)")
        let canaryShare = Double(normal.byVersion["\(other)"] ?? 0) / Double(max(normal.answered, 1))
        try narrator.check(normal.answered == predictions && normal.failed.isEmpty, "every request answered, none failed", otherwise: "\(normal.answered) answered, failures \(normal.failed)")
        try narrator.check(canaryShare > 0.12 && canaryShare < 0.28, "the canary served \(String(format: "%.1f", canaryShare * 100)) % (sticky per patient; 20 % asked)",
                           otherwise: "\(normal.byVersion)")

        // 6
        narrator.step("Watch it live")
        narrator.say("dashboard: " + Terminal.styled("\(connection.baseURL(.monitoring))/dashboard#key=\(viewer)", .bold, .cyan))
        let counted = try await narrator.waitFor("monitoring counted the champion's answers", timeout: .seconds(60)) { () async throws -> JSONValue? in
            let metrics = try? await self.client.call("GET", .monitoring, "/v1/monitoring/models/\(self.model)/versions/\(best)/metrics?window=5m", key: viewer)
            return (metrics?["answers"]?.int ?? 0) >= (normal.byVersion["\(best)"] ?? 0) ? metrics : nil
        }
        narrator.say("v\(best) over 5 min: \(Format.cell(counted["answers"])) answers, p95 latency \(Format.cell(counted["latency_seconds"]?["p95"])) s, error rate \(Format.cell(counted["error_rate"]))")
        try narrator.check(true, "monitoring's counts match what was answered")

        // 7
        narrator.step("Inject drifted inputs: every feature ×2.5")
        let jobsBefore = try await client.all(.training, "/v1/training/jobs?model=\(model)", key: viewer).count
        let drifted = try await traffic.run(rows: (0..<predictions).map { matrix[$0 % matrix.count].map { $0 * 2.5 } }, label: "drift")
        try narrator.check(drifted.answered == predictions, "the drifted requests were answered too", otherwise: "\(drifted.answered), \(drifted.failed)")
        let alert = try await narrator.waitFor("monitoring raises dataset drift on v\(best)", timeout: .seconds(120), every: .seconds(1), explain: {
            let report = try? await self.client.call("GET", .monitoring, "/v1/monitoring/models/\(self.model)/versions/\(best)/drift", key: viewer)
            guard let report else { return "monitoring has no sampled inputs of v\(best)" }
            return "its drift report: \(Format.cell(report["rows"])) sampled rows, drifted share \(Format.cell(report["drifted_share"])), "
                + "dataset drift \(Format.cell(report["dataset_drift"]))"
        }) { () async throws -> JSONValue? in
            let alerts = try await self.client.all(.monitoring, "/v1/monitoring/alerts?model=\(self.model)&condition=dataset_drift", key: viewer)
            return alerts.first { $0["state"]?.string == "raised" }
        }
        narrator.say("alert: \(Format.cell(alert["condition"])) on v\(Format.cell(alert["model_version"])), share \(Format.cell(alert["value"])) ≥ \(Format.cell(alert["threshold"]))")
        try narrator.check(true, "DataDriftDetected published on intellicore.monitoring.alerts")

        // 8
        narrator.step("The retraining policy reacts: a new job on the latest dataset version")
        let retrain = try await narrator.waitFor("the orchestrator queued a retraining job", timeout: .seconds(60)) { () async throws -> JSONValue? in
            let all = try await self.client.all(.training, "/v1/training/jobs?model=\(self.model)", key: viewer)
            return all.count > jobsBefore ? all.first : nil
        }
        let retrained = try await Train.follow(job: retrain["job_id"]?.string ?? "", client: client, key: viewer, timeout: .seconds(600))
        try Train.requireCompleted(retrained)
        try narrator.check(true, "retrained: version \(Format.cell(retrained["version"])) registered (accuracy \(Format.cell(retrained["metrics"]?["accuracy"])))")

        // 9
        narrator.step("Roll back: end the canary")
        narrator.say("champion now: " + Models.aliases(.array(try await monitoredAliases(key: viewer))))
        let rolled = try await client.call("POST", .gateway, "/v1/commands/models/\(model)/rollback", key: developer,
                                           body: .object(["reason": "demo: the canary is not better"]))
        let to = rolled["to_version"]?.int ?? -1
        _ = try await narrator.waitFor("the registry records the rollback", timeout: .seconds(60)) { () async throws -> Bool? in
            try await self.lastChampionMove(key: viewer) == "rollback" ? true : nil
        }
        // Inference and monitoring learn of it from intellicore.models, like every consumer.
        let routes = try await narrator.waitFor("monitoring sees the champion back on v\(to) alone", timeout: .seconds(60)) { () async throws -> [JSONValue]? in
            let champion = try await self.monitoredAliases(key: viewer).first { $0["alias"]?.string == "champion" }
            let routes = champion?["traffic_policy"]?["routes"]?.array ?? []
            return routes.count == 1 && routes.first?["version"]?.int == to ? routes : nil
        }
        narrator.say("champion after: " + Models.aliases(.array([.object(["alias": "champion", "traffic_policy": .object(["routes": .array(routes)])])])))
        let after = try await championVersion(key: viewer)
        try narrator.check(after == to && to == best, "the alias history records the rollback; champion → v\(to) 100 %")

        // 10
        narrator.step("Usage, metered effectively once")
        let served = normal.answered + drifted.answered
        let usage = try await narrator.waitFor("billing metered all \(served) predictions", timeout: .seconds(120), every: .seconds(1)) { () async throws -> JSONValue? in
            let page = try await self.client.call("GET", .billing, "/v1/billing/usage", key: viewer)
            let metered = page.items.filter { $0["meter"]?.string == "predictions" }.compactMap { $0["quantity"]?.double }.reduce(0, +)
            return Int(metered) == served ? page : nil
        }
        Table(["meter", "model", "version", "quantity"], rows: usage.items.map {
            [Format.cell($0["meter"]), Format.cell($0["model_name"]), Format.cell($0["model_version"]), Format.cell($0["quantity"])]
        }).print()
        try narrator.check(true, "\(served) predictions metered, each once, per version")

        // 11
        narrator.step("The invoice so far")
        let period = String(ISO8601DateFormatter().string(from: Date()).prefix(7))
        let invoice = try await client.call("GET", .billing, "/v1/billing/invoices/\(period)", key: viewer)
        Invoices.print(invoice)
        let invoiced = (invoice["lines"]?.array ?? []).filter { $0["meter"]?.string == "predictions" }.compactMap { $0["quantity"]?.double }.reduce(0, +)
        try narrator.check(Int(invoiced) == served && Decimal(string: invoice["total"]?.string ?? "") ?? 0 > 0,
                           "the \(invoice["status"]?.string ?? "") invoice bills the \(served) predictions per model version", otherwise: invoice.compact)

        Terminal.line()
        Terminal.line(Terminal.styled("Demo complete: \(narrator.checks) checks held in \(Int(narrator.elapsed.seconds)) s.", .green, .bold))
        Terminal.line("Keep exploring as this tenant: export INTELLICORE_KEY=\(developer)")
        Terminal.line("  intellicore models show \(model) · intellicore events tail predictions.results --tenant \(tenant) · intellicore usage")
    }

    func aliases(key: String) async throws -> [String: JSONValue] {
        let models = try await client.all(.training, "/v1/training/models", key: key)
        guard let entry = models.first(where: { $0["model_name"]?.string == model }) else { return [:] }
        switch entry["aliases"] {
        case .object(let fields)?: return fields
        case .array(let items)?: return Dictionary(items.map { ($0["alias"]?.string ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        default: return [:]
        }
    }

    /// How the registry last moved the champion (`gate`, `deploy`, `rollback`).
    func lastChampionMove(key: String) async throws -> String? {
        let history = try await client.all(.training, "/v1/training/models/\(model)/aliases/history?alias=champion", key: key, limit: 1)
        return history.first?["action"]?.string
    }

    /// The model's aliases with their traffic policies, as monitoring knows them.
    func monitoredAliases(key: String) async throws -> [JSONValue] {
        let models = try await client.all(.monitoring, "/v1/monitoring/models", key: key)
        return models.first { $0["model_name"]?.string == model }?["aliases"]?.array ?? []
    }

    func championVersion(key: String) async throws -> Int? {
        let champion = try await aliases(key: key)["champion"]
        return champion?.int ?? champion?["version"]?.int
    }
}
