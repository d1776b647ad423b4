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
        var stack = try await GatewayStack(env: env, services: ["ingestion", "billing"], environment: ["BILLING_POLL_BATCH": "250", "LOG_LEVEL": "info"])
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
        // billableBefore[i]: the distinct billable answers among the first i messages — the most
        // the ledger can hold once those are on the topic.
        var billableBefore = [0]
        for index in messages.indices {
            let unique = index < count + 1 && index != 15_000 && (index < 15_000 ? index : index - 1) % 10 != 9
            billableBefore.append(billableBefore[index] + (unique ? 1 : 0))
        }
        try #require(billableBefore.last == billable)
        let producer = try env.producer()
        var sent = 0
        func sendPart(_ size: Int) async throws {
            let part = Array(messages[sent..<min(sent + size, messages.count)])
            for result in try await producer.send(part) { _ = try result.get() }
            sent += part.count
        }
        try await sendPart(10_000)

        let client = env.postgres.makeClient(logger: env.logger)
        let schema = stack.schema("billing")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Three SIGKILLs, each while billing is consuming: as soon as the ledger grows, billing
            // is frozen (SIGSTOP) and the ledger read; it is killed only if answers already on the
            // topic are not yet metered. Otherwise the next part goes out while it is frozen, and
            // it resumes (SIGCONT) to try again.
            var last = 0
            for kill in 1...3 {
                let billing = try #require(stack.processes["billing"])
                var seen = (0, 0)
                while true {
                    let grew = try await eventually(timeout: .seconds(90), every: .milliseconds(5)) {
                        seen = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
                        return seen.0 > last
                    }
                    try #require(grew, "kill \(kill): billing metered nothing new (\(seen.0)) — \(stack.logs)")
                    billing.signal(SIGSTOP)
                    seen = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
                    if seen.0 < billableBefore[sent] { break }
                    try #require(sent < messages.count, "kill \(kill): billing metered every part before it could be frozen mid-stream")
                    try await sendPart(5000)
                    last = seen.0
                    billing.signal(SIGCONT)
                }
                billing.signal(SIGKILL)
                #expect(try await billing.waitForExit(timeout: .seconds(10)))
                last = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger).0
                print("BillingTests: kill \(kill) at \(last) of the \(billableBefore[sent]) billable answers sent so far (\(billable) in all)")
                if kill == 2 {
                    // A second instance joins the group while the first is down and stays for the restart: a rebalance mid-stream.
                    try stack.startReplica("billing", as: "billing-2")
                }
                if kill == 3, let second = stack.processes["billing-2"] {
                    // ...and leaves again, before the first one restarts. Not while it rejoins: the
                    // embedded broker (Tansu 0.6.0) keeps a leader that leaves during a rebalance
                    // as the group's leader, and the group never forms again (docs/operations.md).
                    second.signal(SIGTERM)
                    #expect(try await second.waitForExit(timeout: .seconds(20)))
                }
                try stack.start("billing")
                if sent < messages.count { try await sendPart(5000) }
            }
            while sent < messages.count { try await sendPart(5000) }
            await producer.shutdown()
            var final = (0, 0)
            #expect(try await eventually(timeout: .seconds(120)) {
                final = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
                return final.0 >= billable
            }, "\(final) — \(stack.logs)")
            // Billing's stored offsets reach the end of the topic: it consumed every record, so
            // anything counted twice would be in the ledger now.
            var consumed = 0
            #expect(try await eventually(timeout: .seconds(60)) {
                let rows = try await client.query(PostgresQuery(unsafeSQL: """
                    SELECT coalesce(sum(next_offset), 0)::bigint FROM \(schema).consumer_offsets WHERE topic = '\(topic)'
                    """), logger: env.logger)
                for try await total in rows.decode(Int.self) { consumed = total }
                return consumed >= messages.count
            }, "billing's offsets cover \(consumed) of \(messages.count) records")
            final = try await Self.ledger(client, schema: schema, tenant: tenant, logger: env.logger)
            #expect(final.0 == billable && final.1 == expectedUnits, "ledger \(final), expected (\(billable), \(expectedUnits))")
            print("BillingTests: \(final.0) answers, \(final.1) units billed; expected \(billable), \(expectedUnits)")
        }
        // The unreadable answer went to the dead-letter topic with its reason.
        let dead = try await env.readAll(stack.topic(.deadLetter), partitions: 2, count: 1)
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

    /// The billing topic's events of one type for a tenant.
    static func billingEvents<Event: DomainEvent>(_ stack: GatewayStack, _ type: Event.Type, tenant: String) async throws -> [Event] {
        let messages = try await stack.env.readToEnd(stack.topic(.billing), partitions: 2)
        return messages.compactMap { message in
            guard let event = try? CloudEvent(kafkaHeader: { name in message.headers.last { $0.name == name }?.value }, value: message.value),
                  event.type == Event.eventType, event.tenantId == tenant else { return nil }
            return try? event.decode(as: Event.self)
        }
    }

    @Test func quotasStopPredictionsAndPlansRestoreThemAndClosedPeriodsAreInvoicedOnce() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion", "inference", "billing"],
                                           environment: ["BILLING_CYCLE_SECONDS": "1", "BILLING_INVOICE_GRACE_SECONDS": "0"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let tenant = "quota-\(UInt32.random(in: 0...UInt32.max))"
        let keys = try await stack.tenant(tenant)
        let developer = try #require(keys["developer"]), viewer = try #require(keys["viewer"])
        let billing = try #require(stack.ports["billing"])
        let admin = GatewayStack.adminKey

        // A plan of 6 predictions a month at 1.25 EUR each after 2 free, and 2.00 EUR per GB-month of
        // stored data; only the platform administrator may write it.
        let plan = #"{"plan_id":"tiny","currency":"EUR","meters":{"predictions":{"included":"2","unit":"1","tiers":[{"unit_price":"1.25"}],"hard_limit":"6"},"storage_gb_months":{"unit":"1","tiers":[{"unit_price":"2.00"}]}}}"#
        #expect(try await eventually(timeout: .seconds(20)) {
            await HTTP.http("POST", port: billing, "/v1/billing/plans", key: keys["admin"], body: plan).status == 403
        }, "a tenant's administrator is not the platform's")
        let created = await HTTP.http("POST", port: billing, "/v1/billing/plans", key: admin, body: plan)
        #expect(created.status == 201, "\(created.body)")
        let bad = await HTTP.http("POST", port: billing, "/v1/billing/plans", key: admin, body: #"{"plan_id":"x","currency":"EUR","meters":{"predictions":{"tiers":[{"unit_price":"0.1.2"}]}}}"#)
        #expect(bad.status == 422 && bad.errorCode == "invalid_field", "\(bad.body)")
        // The tenant came with plan "free" (TenantCreated); the administrator moves it to "tiny".
        var assigned = HTTP.HTTPAnswer(status: 0, body: "", headers: [:])
        #expect(try await eventually(timeout: .seconds(20)) {
            assigned = await HTTP.http("PUT", port: billing, "/v1/billing/tenants/\(tenant)/plan", key: admin, body: #"{"plan_id":"tiny"}"#)
            return assigned.status == 200
        }, "\(assigned.body)")
        #expect(await HTTP.http("PUT", port: billing, "/v1/billing/tenants/\(tenant)/plan", key: admin, body: #"{"plan_id":"nope"}"#).status == 422)

        try await GatewayTests.register(stack, tenant: tenant, model: "churn", version: 1, seed: 3)
        try await stack.publish(ModelDeployed(modelName: "churn", alias: "champion", version: 1, trafficPolicy: .single(1)), key: "churn", tenant: tenant)
        let body = #"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[0.5,-1,2,0.25]}]}"#
        func predict() async -> HTTP.HTTPAnswer { await HTTP.http("POST", port: stack.ingestionPort, "/v2/models/churn/infer", key: developer, body: body) }
        #expect(try await eventually(timeout: .seconds(30)) { await predict().status == 200 })
        // Predict until inference refuses: the hard limit of 6 is passed at the 7th row metered.
        var served = 1, refused: HTTP.HTTPAnswer?
        #expect(try await eventually(timeout: .seconds(60)) {
            let answer = await predict()
            if answer.status == 200 { served += 1 } else { refused = answer }
            return refused != nil
        })
        #expect(refused?.status == 429 && refused?.errorCode == PredictionFailureCode.quotaExceeded.rawValue, "\(String(describing: refused?.body)) after \(served)")
        #expect(served >= 7, "served \(served) before the quota stopped them")
        let exceeded = try await Self.billingEvents(stack, QuotaExceeded.self, tenant: tenant)
        #expect(exceeded.count == 1 && exceeded.first?.limit == 6 && (exceeded.first?.used ?? 0) >= 7, "\(exceeded)")

        // A plan change lifts the limit: QuotaRestored, and inference answers again.
        let bigger = plan.replacingOccurrences(of: #""hard_limit":"6""#, with: #""hard_limit":"1000""#)
        #expect(await HTTP.http("POST", port: billing, "/v1/billing/plans", key: admin, body: bigger).status == 200)
        #expect(try await eventually(timeout: .seconds(30)) { await predict().status == 200 }, "predictions are answered again")
        #expect(try await Self.billingEvents(stack, QuotaRestored.self, tenant: tenant).count == 1)
        #expect(try await Self.billingEvents(stack, QuotaExceeded.self, tenant: tenant).count == 1, "exceeded once while the condition lasted")

        // Usage of last month (answers stamped then) is invoiced once the period closed (grace 0 here).
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let lastMonth = utc.date(from: utc.dateComponents([.year, .month], from: Date()))!.addingTimeInterval(-43_200) // the last day of last month
        // Billing is paused while the late records go to their two topics, so that one poll finds
        // both: the period closed long ago (grace 0), and the first cycle after any of its usage
        // is metered issues its invoice — records of the other topic metered after it would be
        // late for it.
        let billingProcess = try #require(stack.processes["billing"])
        billingProcess.signal(SIGSTOP)
        let producer = try env.producer()
        var late: [KafkaProducerMessage] = []
        for index in 0..<5 {
            var event = try Self.answer(100_000 + index, tenant: tenant) // 1–4 rows each: 1+2+3+4+1 = 11 rows of churn v1/v2
            event.time = lastMonth
            late.append(KafkaProducerMessage(event: event, topic: stack.topic(.predictionResults), key: "late-\(index)"))
        }
        // A 3 GB dataset version sealed 12 hours before the month ended: 3 × 12 h / 30 days = 0.05 GB-months.
        var sealed = try CloudEvent(DatasetVersionSealed(datasetId: "ds-billed", version: 1, rowCount: 1000, columnStatistics: [], bytes: 3_000_000_000),
                                    source: "/it", subject: "ds-billed", tenantId: tenant)
        sealed.time = lastMonth
        late.append(KafkaProducerMessage(event: sealed, topic: stack.topic(.datasets), key: "ds-billed"))
        for result in try await producer.send(late) { _ = try result.get() }
        await producer.shutdown()
        billingProcess.signal(SIGCONT)
        var issued: [InvoiceIssued] = []
        #expect(try await eventually(timeout: .seconds(30)) {
            issued = try await Self.billingEvents(stack, InvoiceIssued.self, tenant: tenant).filter { $0.periodEnd <= Date() }
            return !issued.isEmpty
        }, "no invoice for the closed period")
        // Two more cycles run after the invoice was issued (each answer below is summarised by a later
        // cycle, and a cycle summarises before it invoices): a second invoice would show now.
        for extra in 0..<2 {
            let before = try await Self.billingEvents(stack, UsageRecorded.self, tenant: tenant).count
            let more = try env.producer()
            _ = try await more.send(KafkaProducerMessage(event: try Self.answer(200_000 + extra, tenant: tenant), topic: stack.topic(.predictionResults),
                                                         key: "more-\(extra)"))
            await more.shutdown()
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.billingEvents(stack, UsageRecorded.self, tenant: tenant).count > before
            })
        }
        issued = try await Self.billingEvents(stack, InvoiceIssued.self, tenant: tenant).filter { $0.periodEnd <= Date() }
        let invoice = try #require(issued.first)
        #expect(issued.count == 1, "one invoice per tenant and period: \(issued.count)")
        // 11 predictions, 2 free, 9 × 1.25 = 11.25 EUR, shared by version: v1 rows 1+3+1 = 5, v2 rows 2+4 = 6;
        // 0.05 GB-months × 2.00 = 0.10; 1,000 dataset rows the plan does not price. 11.35 EUR.
        #expect(invoice.totalAmount == "11.35" && invoice.currency == "EUR", "\(invoice)")
        let predictions = invoice.lines.filter { $0.meter == "predictions" }
        #expect(predictions.map { $0.modelVersion ?? "" } == ["1", "2"] && predictions.compactMap(\.amountExact) == ["5.11", "6.14"], "\(invoice.lines)")
        let storage = invoice.lines.first { $0.meter == "storage_gb_months" }
        #expect(storage?.quantity == 0.05 && storage?.amountExact == "0.1", "\(invoice.lines)")
        #expect(invoice.lines.first { $0.meter == "dataset_rows" }?.amountExact == "0", "\(invoice.lines)")
        print("BillingTests: invoice \(invoice.invoiceId): \(invoice.lines.map { "\($0.meter) \($0.modelName ?? "")/v\($0.modelVersion ?? "") \($0.quantity) → \($0.amountExact ?? "")" }) total \(invoice.totalAmount ?? "") \(invoice.currency)")
        let period = Self.month(lastMonth)
        let read = await HTTP.http("GET", port: billing, "/v1/billing/invoices/\(period)", key: viewer)
        #expect(read.json["status"] as? String == "final" && read.json["total"] as? String == "11.35", "\(read.body)")
        let current = await HTTP.http("GET", port: billing, "/v1/billing/invoices/\(Self.month(Date()))", key: viewer)
        #expect(current.json["status"] as? String == "draft", "\(current.body)")
        #expect(try await eventually(timeout: .seconds(10)) { !(try await Self.billingEvents(stack, UsageRecorded.self, tenant: tenant).isEmpty) },
                "usage summaries are published")
        #expect(try await stack.stop())
    }

    /// `YYYY-MM` of a date, UTC.
    static func month(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }
}
