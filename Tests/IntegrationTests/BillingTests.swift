import Foundation
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import PostgresNIO
import Testing

/// Billing meters effectively once: N prediction answers (some shadows, some sent twice with the
/// same ce_id, one unreadable) end as exactly the billable units in the ledger although billing
/// is SIGKILLed mid-stream several times and a second instance joins and leaves the group.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct BillingTests {
    typealias HTTP = GatewayStack

    /// (events in the ledger, units) for a tenant's predictions.
    static func ledger(_ client: PostgresClient, schema: String, tenant: String, logger: Logger) async throws -> (Int, Int) {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT count(*), coalesce(sum(quantity), 0)::bigint FROM \(schema).usage_events WHERE tenant_id = '\(tenant)' AND meter = 'predictions'
            """), logger: logger)
        for try await row in rows.decode((Int, Int).self) { return row }
        return (0, 0)
    }

    static func answer(_ index: Int, tenant: String, shadow: Bool = false, model: String? = "churn") throws -> CloudEvent {
        let rows = 1 + index % 4
        let completed = PredictionCompleted(id: "req-\(index)", modelName: model ?? "", modelVersion: "\(1 + index % 2)",
                                            outputs: [InferenceTensor(name: "probabilities", shape: [rows, 2], datatype: "FP32",
                                                                      data: .numbers(Array(repeating: 0.5, count: rows * 2)))],
                                            shadow: shadow ? true : nil)
        var event = try CloudEvent(completed, source: "/it", subject: "req-\(index)", tenantId: tenant)
        event.id = "answer-\(tenant)-\(index)"
        return event
    }

    @Test func everyAnswerIsBilledOnceThroughKillsRedeliveriesAndARebalance() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        var stack = try await GatewayStack(env: env, services: ["ingestion", "billing"], environment: ["BILLING_POLL_BATCH": "250"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let tenant = "bill-\(UInt32.random(in: 0...UInt32.max))"
        let keys = try await stack.tenant(tenant)
        let viewer = try #require(keys["viewer"])
        let count = 30_000
        var expectedUnits = 0, billable = 0
        var messages: [KafkaProducerMessage] = []
        let topic = stack.topic(.predictionResults)
        for index in 0..<count {
            let shadow = index % 10 == 9
            if !shadow {
                expectedUnits += 1 + index % 4
                billable += 1
            }
            messages.append(KafkaProducerMessage(event: try Self.answer(index, tenant: tenant, shadow: shadow), topic: topic, key: "req-\(index)"))
        }
        // The same 2,000 answers again (same ce_id), and one that names no model.
        messages += messages.prefix(2000)
        messages.insert(KafkaProducerMessage(event: try Self.answer(count, tenant: tenant, model: nil), topic: topic, key: "bad"), at: 15_000)
        let producer = try env.producer()
        for chunk in stride(from: 0, to: messages.count, by: 5000) {
            for result in try await producer.send(Array(messages[chunk..<min(chunk + 5000, messages.count)])) { _ = try result.get() }
        }
        await producer.shutdown()

        let client = env.postgres.makeClient(logger: env.logger)
        let schema = stack.schema("billing")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Three SIGKILLs, each once the ledger has grown since the last and is not complete:
            // the kill lands while billing is consuming.
            var last = 0
            for kill in 1...3 {
                var seen = (0, 0)
                let grew = try await eventually(timeout: .seconds(60)) {
                    seen = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
                    return seen.0 > last + 1000
                }
                try #require(grew && seen.0 < billable, "kill \(kill) must land mid-stream: \(seen.0) of \(billable) metered — \(stack.logs)")
                let billing = try #require(stack.processes["billing"])
                billing.signal(SIGKILL)
                #expect(try await billing.waitForExit(timeout: .seconds(10)))
                last = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger).0
                print("BillingTests: kill \(kill) at \(last) of \(billable) answers metered")
                if kill == 2 {
                    // A second instance joins the group while the first is down and stays for the restart: a rebalance mid-stream.
                    try stack.startReplica("billing", as: "billing-2")
                }
                try stack.start("billing")
                if kill == 3, let second = stack.processes["billing-2"] {
                    second.signal(SIGTERM) // and leaves again
                    #expect(try await second.waitForExit(timeout: .seconds(20)))
                }
            }
            var final = (0, 0)
            #expect(try await eventually(timeout: .seconds(120)) {
                final = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
                return final.0 >= billable
            }, "\(final) — \(stack.logs)")
            try await Task.sleep(for: .seconds(2)) // anything counted twice would show now
            final = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
            #expect(final.0 == billable && final.1 == expectedUnits, "ledger \(final), expected (\(billable), \(expectedUnits))")
            print("BillingTests: \(final.0) answers, \(final.1) units billed; expected \(billable), \(expectedUnits)")
        }
        // The unreadable answer went to the dead-letter topic with its reason.
        let dead = try await env.readAll(stack.topic(.deadLetter), partitions: 2, count: 1, timeout: .seconds(15))
        let reason = dead.first.flatMap { message in message.headers.last { $0.name == "dlq_error" }.map { String(decoding: $0.value ?? [], as: UTF8.self) } }
        #expect(reason?.contains("model_name") == true, "\(String(describing: reason))")
        // Read through the API, from the aggregates.
        let port = try #require(stack.ports["billing"])
        var usage = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(30)) {
            usage = await HTTP.http("GET", port: port, "/v1/billing/usage?meter=predictions", key: viewer)
            return usage.status == 200
        }, "\(usage.status) \(usage.body)")
        let items = try #require(usage.json["items"] as? [[String: Any]], "\(usage.body)")
        #expect(items.reduce(0.0) { $0 + ($1["quantity"] as? Double ?? 0) } == Double(expectedUnits), "\(usage.body)")
        #expect(Set(items.compactMap { $0["model_version"] as? String }) == ["1", "2"])
        #expect(await HTTP.http("GET", port: port, "/v1/billing/usage?period=2026-13", key: viewer).status == 400)
        #expect(try await stack.stop())
    }
}
