import ArgumentParser
import Foundation
import IntelliCoreEvents

/// The model registry (training orchestrator) and deployments (commands through the gateway).
struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Models and versions: list, show, deploy, roll back, alias history.",
                                                    subcommands: [List.self, Show.self, Deploy.self, Rollback.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's models, their latest version and aliases.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let items = try await connection.client.all(.training, "/v1/training/models", key: try connection.apiKey())
            if connection.json { return Terminal.line(JSONValue.array(items).pretty()) }
            Table(["model", "latest version", "aliases"], rows: items.map {
                [Format.cell($0["model_name"]), Format.cell($0["latest_version"]), Models.aliases($0["aliases"])]
            }).print()
        }
    }

    /// `champion → 2 (90 %), 3 (10 %)` from an alias list or map.
    static func aliases(_ value: JSONValue?) -> String {
        let entries: [(String, JSONValue)]
        switch value {
        case .object(let fields)?: entries = fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        case .array(let items)?: entries = items.map { ($0["alias"]?.string ?? "?", $0) }
        default: return "–"
        }
        return entries.map { name, alias in
            let routes = alias["traffic_policy"]?["routes"]?.array ?? []
            let target = routes.isEmpty ? Format.cell(alias["version"] ?? alias) :
                routes.map { "v\(Format.cell($0["version"])) \(Format.number(($0["weight"]?.double ?? 0) * 100)) %" }.joined(separator: " / ")
            return "\(name) → \(target)"
        }.joined(separator: "; ")
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A model's versions with their metrics.")
        @Argument(help: "The model.") var model: String
        @OptionGroup var connection: Connection

        func run() async throws {
            let versions = try await connection.client.all(.training, "/v1/training/models/\(model.pathSegment)/versions", key: try connection.apiKey())
            if connection.json { return Terminal.line(JSONValue.array(versions).pretty()) }
            let names = ["accuracy", "f1", "roc_auc", "log_loss", "r2", "mae"].filter { name in versions.contains { $0["metrics"]?[name] != nil } }
            Table(["version", "status", "algorithm", "dataset"] + names + ["created"], rows: versions.map { version in
                [Format.cell(version["version"]), Format.cell(version["status"]), Format.cell(version["algorithm"]),
                 "\(Format.cell(version["dataset_id"]))/v\(Format.cell(version["dataset_version"]))"]
                    + names.map { Format.cell(version["metrics"]?[$0]) } + [Format.cell(version["created_at"])]
            }).print()
        }
    }

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point an alias at a version; --canary VERSION:WEIGHT splits traffic, --shadow VERSION answers every request unseen.")
        @Argument(help: "The model.") var model: String
        @Argument(help: "The version.") var version: Int
        @Option(help: "The alias.") var alias = "champion"
        @Option(help: "Another version and its share of traffic in percent, e.g. 3:10 (the main version keeps the rest).") var canary: String?
        @Option(help: "A shadow version.") var shadow: Int?
        @OptionGroup var connection: Connection

        func run() async throws {
            var body: [String: JSONValue] = ["version": .number(Double(version)), "alias": .string(alias)]
            if canary != nil || shadow != nil {
                var routes: [JSONValue] = [.object(["version": .number(Double(version)), "weight": 1])]
                if let canary {
                    let parts = canary.split(separator: ":")
                    guard parts.count == 2, let other = Int(parts[0]), let weight = Double(parts[1]), weight > 0, weight < 100 else {
                        throw ValidationError("--canary is VERSION:PERCENT, e.g. 3:10")
                    }
                    // The API takes shares of 1.
                    routes = [.object(["version": .number(Double(version)), "weight": .number((100 - weight) / 100)]),
                              .object(["version": .number(Double(other)), "weight": .number(weight / 100)])]
                }
                var policy: [String: JSONValue] = ["routes": .array(routes)]
                if let shadow { policy["shadow_version"] = .number(Double(shadow)) }
                body["traffic_policy"] = .object(policy)
            }
            let accepted = try await connection.client.call("POST", .gateway, "/v1/commands/models/\(model.pathSegment)/deploy",
                                                            key: try connection.apiKey(), body: .object(body))
            if connection.json { return Terminal.line(accepted.pretty()) }
            Terminal.line("deploy requested: \(model) \(alias) → \(Models.aliases(.array([accepted])))")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move an alias back to the version it pointed at before.")
        @Argument(help: "The model.") var model: String
        @Option(help: "The alias.") var alias = "champion"
        @Option(help: "Why (kept in the alias history and the audit trail).") var reason: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            var body: [String: JSONValue] = ["alias": .string(alias)]
            if let reason { body["reason"] = .string(reason) }
            let accepted = try await connection.client.call("POST", .gateway, "/v1/commands/models/\(model.pathSegment)/rollback",
                                                            key: try connection.apiKey(), body: .object(body))
            if connection.json { return Terminal.line(accepted.pretty()) }
            Terminal.line("rollback requested: \(model) \(alias) v\(Format.cell(accepted["from_version"])) → v\(Format.cell(accepted["to_version"]))")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every move of a model's aliases, newest first.")
        @Argument(help: "The model.") var model: String
        @Option(help: "Only this alias.") var alias: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let path = "/v1/training/models/\(model.pathSegment)/aliases/history" + (alias.map { "?alias=\($0.pathSegment)" } ?? "")
            let moves = try await connection.client.all(.training, path, key: try connection.apiKey())
            if connection.json { return Terminal.line(JSONValue.array(moves).pretty()) }
            Table(["when", "alias", "from", "to", "action", "actor", "reason"], rows: moves.map {
                [Format.cell($0["moved_at"]), Format.cell($0["alias"]), Format.cell($0["from_version"]), Format.cell($0["to_version"]),
                 Format.cell($0["action"]), Format.cell($0["actor"]), Format.cell($0["reason"])]
            }).print()
        }
    }
}
