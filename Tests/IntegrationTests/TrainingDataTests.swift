import Foundation
import IntelliCoreEventBus
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCorePostgres
import PostgresNIO
import Testing

/// The training orchestrator keeps what ingestion publishes: every row of a sealed version stored
/// exactly once (a batch delivered again changes nothing), a failed version's rows deleted, and a
/// batch for another tenant's dataset dead-lettered.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct TrainingDataTests {
    typealias HTTP = GatewayStack

    /// (status, row_count, stored rows, batches) of a version in the orchestrator's schema.
    static func stored(_ client: PostgresClient, schema: String, dataset: String, version: Int,
                       logger: Logger) async throws -> (String, Int?, Int, Int)? {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT v.status, v.row_count, coalesce(sum(b.row_count), 0)::bigint, count(b.first_row)
            FROM \(schema).dataset_versions v LEFT JOIN \(schema).dataset_batches b ON b.dataset_id = v.dataset_id AND b.version = v.version
            WHERE v.dataset_id = '\(dataset)' AND v.version = \(version) GROUP BY v.status, v.row_count
            """), logger: logger)
        for try await row in rows.decode((String, Int?, Int, Int).self) { return row }
        return nil
    }

    @Test func rowsAreStoredOnceAndFailedVersionsDiscarded() async throws {
        let env = try IntegrationEnvironment.load()
        try #require(env.binaries != nil, "INTELLICORE_BIN must point at the built executables")
        let stack = try await GatewayStack(env: env, services: ["ingestion", "training-orchestrator"],
                                           environment: ["INGESTION_DATASET_BATCH_ROWS": "100"])
        #expect(try await stack.ready(), "not ready: \(stack.logs)")
        let port = stack.ingestionPort
        let suffix = UInt32.random(in: 0...UInt32.max)
        let keys = try await stack.tenant("td-\(suffix)")
        let developer = try #require(keys["developer"])
        let dataset = try await DatasetTests.register(port, key: developer, name: "training-data")

        let sealed = try await DatasetTests.upload(port, key: developer, dataset: dataset, Data(DatasetTests.csv(rows: 2345).utf8))
        #expect(sealed.status == 201, "\(sealed.body)")
        let good = try #require(sealed.json["version"] as? Int)
        var bad = DatasetTests.csv(rows: 90).split(separator: "\n").map(String.init)
        bad += Array(repeating: "1,2,red,,maybe", count: 10)
        let failed = try await DatasetTests.upload(port, key: developer, dataset: dataset, Data((bad.joined(separator: "\n") + "\n").utf8))
        #expect(failed.status == 422, "\(failed.body)")

        let client = env.postgres.makeClient(logger: env.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let schema = stack.schema("training")
            var state: (String, Int?, Int, Int)?
            #expect(try await eventually(timeout: .seconds(30)) {
                state = try await Self.stored(client, schema: schema, dataset: dataset, version: good, logger: env.logger)
                return state?.0 == "sealed"
            }, "the orchestrator never sealed version \(good): \(String(describing: state))")
            #expect(state?.1 == 2345 && state?.2 == 2345 && state?.3 == 24, "\(String(describing: state))")
            var discarded: (String, Int?, Int, Int)?
            #expect(try await eventually(timeout: .seconds(30)) {
                discarded = try await Self.stored(client, schema: schema, dataset: dataset, version: good + 1, logger: env.logger)
                return discarded?.0 == "failed"
            })
            #expect(discarded?.2 == 0, "a failed version keeps no rows: \(String(describing: discarded))")

            // A batch delivered again under another ce_id, and one for this dataset from another tenant.
            let tenant = "td-\(suffix)"
            let again = DatasetRecordsAppended(datasetId: dataset, version: good, firstRow: 100, rows: [[1, 1, "red", nil, true]])
            try await stack.publish(again, key: dataset, tenant: tenant)
            try await stack.publish(DatasetRecordsAppended(datasetId: dataset, version: good, firstRow: 5000, rows: [[1, 1, "red", nil, true]]),
                                    key: dataset, tenant: "intruder-\(suffix)")
            let dead = try await env.readAll(stack.topic(.deadLetter), partitions: 2, count: 1)
            #expect(dead.count == 1, "the other tenant's batch is dead-lettered")
            let after = try await Self.stored(client, schema: schema, dataset: dataset, version: good, logger: env.logger)
            #expect(after?.2 == 2345 && after?.3 == 24, "nothing changed: \(String(describing: after))")
        }
        #expect(try await stack.stop())
    }
}
