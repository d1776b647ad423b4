import ArgumentParser
import Foundation

/// Where the platform is and who is calling: flags first, then the environment, then the local
/// dev stack's defaults (`./intellicore dev up`).
struct Connection: ParsableArguments {
    @Option(help: ArgumentHelp("One address for every service, as behind an ingress (docker-compose's).",
                               discussion: "Default: INTELLICORE_URL; without it each service at INTELLICORE_GATEWAY_URL, _TRAINING_URL, _INFERENCE_URL, _MONITORING_URL, _BILLING_URL, else its dev stack port (19081–19085)."))
    var url: String?

    @Option(help: "The API key to call with (default: INTELLICORE_KEY, else the key saved by `tenants create --save-key`).")
    var key: String?

    @Option(help: "Kafka's bootstrap servers for `events` (default: KAFKA_BOOTSTRAP, else 127.0.0.1:19092).")
    var bootstrap: String?

    @Flag(help: "Print the services' JSON instead of tables.")
    var json = false

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    func baseURL(_ endpoint: Endpoint) -> String {
        let base = url ?? environment["INTELLICORE_URL"] ?? environment[endpoint.environmentName] ?? "http://127.0.0.1:\(endpoint.devPort)"
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    var kafkaBootstrap: String { bootstrap ?? environment["KAFKA_BOOTSTRAP"] ?? "127.0.0.1:19092" }

    /// The prefix the platform's topics carry (`INTELLICORE_TOPIC_PREFIX`, as the services read it).
    var topicPrefix: String { environment["INTELLICORE_TOPIC_PREFIX"] ?? "" }

    /// Where `--save-key` keeps a key: INTELLICORE_KEY_FILE, else ~/.config/intellicore/key.
    static var savedKeyPath: String {
        ProcessInfo.processInfo.environment["INTELLICORE_KEY_FILE"]
            ?? NSHomeDirectory() + "/.config/intellicore/key"
    }

    func apiKey() throws -> String {
        if let key = key ?? environment["INTELLICORE_KEY"], !key.isEmpty { return key }
        if let saved = try? String(contentsOfFile: Self.savedKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            return saved
        }
        throw CLIError(.refused, "no API key", hint: "pass --key or set INTELLICORE_KEY; a new tenant's admin key comes from `intellicore tenants create ID --save-key`")
    }

    /// The platform administrator's key: INTELLICORE_ADMIN_KEY, else the file INTELLICORE_ADMIN_KEY_FILE
    /// (`./intellicore` points it at the dev stack's `.intellicore/dev/admin-key`).
    func adminKey() throws -> String {
        if let key = environment["INTELLICORE_ADMIN_KEY"], !key.isEmpty { return key }
        if let path = environment["INTELLICORE_ADMIN_KEY_FILE"],
           let key = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty {
            return key
        }
        throw CLIError(.refused, "no platform administrator key",
                       hint: "set INTELLICORE_ADMIN_KEY (ingestion's INGESTION_ADMIN_KEY); on the dev stack `./intellicore` reads .intellicore/dev/admin-key")
    }

    var client: PlatformClient { PlatformClient(connection: self) }
}
