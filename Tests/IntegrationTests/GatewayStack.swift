import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka

/// The ingestion gateway and inference as child processes on their own topics (a random prefix),
/// with the platform administrator's key, and an HTTP client for them.
struct GatewayStack {
    static let adminKey = "it-platform-admin-key-0123456789"

    let env: IntegrationEnvironment
    let prefix = "it\(UInt32.random(in: 0...UInt32.max))."
    /// Each service's HTTP port.
    let ports: [String: Int]
    var ingestionPort: Int { ports["ingestion"] ?? 0 }
    var inferencePort: Int { ports["inference"] ?? 0 }
    var processes: [String: ChildProcess] = [:]
    /// The HTTP port of each replica started with `startReplica`, by its name.
    private(set) var replicaPorts: [String: Int] = [:]
    private var environments: [String: [String: String]] = [:]

    init(env: IntegrationEnvironment, services: [String] = ["ingestion", "inference"], environment overrides: [String: String] = [:]) async throws {
        self.env = env
        var ports: [String: Int] = [:]
        for service in Set(services + ["ingestion", "inference"]) { ports[service] = try freePort() }
        self.ports = ports
        let prefix = self.prefix
        try await env.admin().createTopics(Topic.allCases.map { KafkaTopicSpec(name: prefix + $0.rawValue, partitions: 2) })
        for service in services {
            let port = ports[service] ?? 0
            var environment = ProcessInfo.processInfo.environment
            environment["SERVICE_HTTP_PORT"] = String(port)
            environment["INTELLICORE_TOPIC_PREFIX"] = prefix
            environment["INTELLICORE_SCHEMA_PREFIX"] = prefix.replacingOccurrences(of: ".", with: "_")
            environment["INGESTION_ADMIN_KEY"] = Self.adminKey
            environment["INGESTION_RATE_LIMITS"] = "default=1000:1000,tiny=0.05:2"
            environment["LOG_LEVEL"] = "warning"
            environment.merge(overrides) { $1 }
            environments[service] = environment
            try start(service)
        }
    }

    /// Starts `service` (again, after it was killed) with the environment it first had.
    mutating func start(_ service: String) throws {
        let port = ports[service] ?? 0
        processes[service] = try ChildProcess(executable: "\(env.binaries!)/\(service)", arguments: [], environment: environments[service] ?? [:],
                                              logPath: NSTemporaryDirectory() + "it-\(service)-\(port)-\(UInt16.random(in: 0...UInt16.max)).log")
    }

    /// Starts another instance of `service` (same environment, its own HTTP port) under `name`,
    /// so that two instances share its consumer groups.
    mutating func startReplica(_ service: String, as name: String) throws {
        var environment = environments[service] ?? [:]
        let port = try freePort()
        replicaPorts[name] = port
        environment["SERVICE_HTTP_PORT"] = String(port)
        processes[name] = try ChildProcess(executable: "\(env.binaries!)/\(service)", arguments: [], environment: environment,
                                           logPath: NSTemporaryDirectory() + "it-\(name)-\(UInt16.random(in: 0...UInt16.max)).log")
    }

    func topic(_ topic: Topic) -> String { prefix + topic.rawValue }

    /// The PostgreSQL schema of `service` in this stack (`training` for the orchestrator).
    func schema(_ name: String) -> String { prefix.replacingOccurrences(of: ".", with: "_") + name }

    /// The end of each process's output, and where the whole of it is.
    var logs: String { processes.map { "\($0.key) (\($0.value.logPath)): \($0.value.output.suffix(1500))" }.joined(separator: "\n") }

    /// Waits until every started service answers `/health/ready` with 200.
    func ready() async throws -> Bool {
        for port in processes.keys.compactMap({ ports[$0] }) {
            guard try await eventually(timeout: .seconds(60), { await Self.http("GET", port: port, "/health/ready", key: nil).status == 200 }) else {
                return false
            }
        }
        return true
    }

    /// Publishes an event as another service would (straight to Kafka).
    func publish<Event: DomainEvent>(_ event: Event, key: String, tenant: String?) async throws {
        let producer = try env.producer()
        try await producer.send(KafkaProducerMessage(event: try CloudEvent(event, source: "/it", subject: key, tenantId: tenant),
                                                     topic: topic(Event.topic), key: key))
        await producer.shutdown()
    }

    /// Creates a tenant and returns a key of each role (and its id under `<role>_id`).
    func tenant(_ id: String, plan: String = "free") async throws -> [String: String] {
        let created = await Self.http("POST", port: ingestionPort, "/v1/tenants", key: Self.adminKey,
                                      body: #"{"tenant_id":"\#(id)","name":"\#(id)","plan":"\#(plan)"}"#)
        guard created.status == 201 else { throw SetupError("creating tenant \(id): \(created.status) \(created.body)") }
        var keys: [String: String] = [:]
        for role in ["admin", "developer", "viewer"] {
            let issued = await Self.http("POST", port: ingestionPort, "/v1/tenants/\(id)/keys", key: Self.adminKey, body: #"{"role":"\#(role)"}"#)
            guard let key = issued.json["key"] as? String, let id = issued.json["key_id"] as? String else {
                throw SetupError("issuing a \(role) key: \(issued.body)")
            }
            keys[role] = key
            keys["\(role)_id"] = id
        }
        return keys
    }

    func stop() async throws -> Bool {
        for process in processes.values { process.signal(SIGTERM) }
        var stopped = true
        for process in processes.values { stopped = try await process.waitForExit(timeout: .seconds(20)) && stopped }
        return stopped
    }

    struct HTTPAnswer {
        let status: Int
        let body: String
        let headers: [String: String]

        var json: [String: Any] { GatewayStack.json(body) }
        /// `error.code` of an error answer.
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    static func http(_ method: String, port: Int, _ path: String, key: String?, body: String? = nil,
                     headers: [String: String] = [:]) async -> HTTPAnswer {
        await http(method, port: port, path, key: key, data: body.map { Data($0.utf8) }, headers: body == nil ? headers : ["Content-Type": "application/json"].merging(headers) { $1 })
    }

    /// A request with any body; `headers` name its Content-Type.
    static func http(_ method: String, port: Int, _ path: String, key: String?, data body: Data?,
                     headers: [String: String] = [:]) async -> HTTPAnswer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = body }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else {
            return HTTPAnswer(status: 0, body: "", headers: [:])
        }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return HTTPAnswer(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: fields)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}
