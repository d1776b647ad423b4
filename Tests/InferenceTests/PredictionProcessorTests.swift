import Foundation
@testable import Inference
import IntelliCoreEvents
import IntelliCoreKafka
import IntelliCoreModels
import IntelliCoreOIP
import Testing

/// The hot path's stages over in-memory fakes: no broker, database or cache server.
@Suite struct PredictionProcessorTests {
    typealias Fixture = ProcessorFixture

    @Test func oneEntitysAnswersKeepTheOrderOfItsRequests() async throws {
        let fixture = try Fixture()
        // A bad request (no `plan`) then a good one for the same entity, with another entity between.
        let bad = #"{"id":"r1","model_name":"churn","inputs":[{"name":"age","shape":[1],"datatype":"FP32","data":[14]}]}"#
        let output = await fixture.process([
            Fixture.record(bad, offset: 0, key: "customer-1"),
            Fixture.record(Fixture.body(id: "r2"), offset: 1, key: "customer-2"),
            Fixture.record(Fixture.body(id: "r3"), offset: 2, key: "customer-1"),
        ])
        let answers = output.results.map(Answer.init)
        let customerOne = answers.filter { $0.key == "customer-1" }
        try #require(customerOne.count == 3)
        #expect(customerOne.map(\.type) == [PredictionFailed.eventType, PredictionCompleted.eventType, PredictionCompleted.eventType])
        #expect(try customerOne[0].failed().code == PredictionFailureCode.missingInput.rawValue)
        #expect(try customerOne[1].completed().shadow == false && customerOne[1].eventId == "event-2/result")
        #expect(try customerOne[2].completed().shadow == true && customerOne[2].eventId == "event-2/shadow")
        // Every answer of the batch in request order: r1, r2 (+ shadow), r3 (+ shadow).
        #expect(answers.map { $0.header(CloudEventHeader.subject) ?? "" } == ["r1", "r2", "r2", "r3", "r3"])
        #expect(output.deadLetters.isEmpty && output.skipped == 0)
    }

    @Test func aWaitingCallerGetsItsPrimaryAnswerOnItsReplyPartition() async throws {
        let fixture = try Fixture()
        func replyHeaders(topic: String, partition: [UInt8] = ReplyHeader.encode(partition: 3)) -> [KafkaHeader] {
            [KafkaHeader(name: ReplyHeader.replyTopic, string: topic), KafkaHeader(name: ReplyHeader.replyPartition, value: partition),
             KafkaHeader(name: ReplyHeader.correlationId, value: [1, 2, 3, 4])]
        }
        let output = await fixture.process([
            // Completed (with a shadow), then failed: each primary answer is replied, never a shadow.
            Fixture.record(Fixture.body(id: "r1"), offset: 0, extraHeaders: replyHeaders(topic: Fixture.replyTopic)),
            Fixture.record(Fixture.body(id: "r2", model: "nothing"), offset: 1, extraHeaders: replyHeaders(topic: Fixture.replyTopic)),
            // Another topic, and a partition that is not 4 bytes: answered on the results topic only.
            Fixture.record(Fixture.body(id: "r3"), offset: 2, extraHeaders: replyHeaders(topic: "intellicore.tenants")),
            Fixture.record(Fixture.body(id: "r4"), offset: 3, extraHeaders: replyHeaders(topic: Fixture.replyTopic, partition: [3])),
        ])
        let replies = output.results.filter { $0.topic == Fixture.replyTopic }.map(Answer.init)
        let results = output.results.filter { $0.topic == "results" }.map(Answer.init)
        #expect(output.results.count == replies.count + results.count)
        try #require(replies.count == 2)
        #expect(replies.map { $0.header(CloudEventHeader.subject) ?? "" } == ["r1", "r2"])
        #expect(replies.map(\.type) == [PredictionCompleted.eventType, PredictionFailed.eventType])
        #expect(replies.allSatisfy { $0.message.partition == 3 && $0.message.headers.value(named: ReplyHeader.correlationId) == [1, 2, 3, 4] })
        #expect(try replies[0].completed().shadow == false)
        // The reply is the results topic's answer, byte for byte, with the same ce_id.
        let r1 = try #require(results.first { $0.header(CloudEventHeader.subject) == "r1" && $0.eventId.hasSuffix("/result") })
        #expect(r1.message.value == replies[0].message.value && r1.eventId == replies[0].eventId)
        #expect(results.map { $0.header(CloudEventHeader.subject) ?? "" } == ["r1", "r1", "r2", "r3", "r3", "r4", "r4"])
    }

    @Test func routesByAliasVersionAndTenant() async throws {
        let fixture = try Fixture()
        let output = await fixture.process([
            Fixture.record(Fixture.body(id: "champion"), offset: 0),
            Fixture.record(Fixture.body(id: "pinned", version: "2"), offset: 1),
            Fixture.record(Fixture.body(id: "theirs"), offset: 2, tenant: "other"),
            Fixture.record(Fixture.body(id: "stranger"), offset: 3, tenant: "nobody"),
        ])
        let answers = output.results.map(Answer.init)
        try #require(answers.count == 5)
        // acme's champion v1 (age 14 → 2, plan pro → [0, 1]): relu(2 + 0.5), relu(-1); shadow v2: relu(4 + 0.5).
        #expect(try answers[0].outputs() == [2.5, 0] && answers[0].completed().modelVersion == "1")
        #expect(try answers[1].outputs() == [4.5, 0] && answers[1].completed().shadow == true)
        // Pinned to v2: no shadow.
        #expect(try answers[2].outputs() == [4.5, 0] && answers[2].completed().modelVersion == "2" && answers[2].completed().shadow == false)
        // Tenant `other` reaches its own `churn`, never acme's.
        #expect(try answers[3].outputs() == [1, 2])
        // A tenant without a `churn` gets the answer of a model that does not exist.
        #expect(try answers[4].failed().code == PredictionFailureCode.unknownModel.rawValue)
    }

    @Test func aCachedAnswerEqualsTheComputedOne() async throws {
        let fixture = try Fixture()
        let batch = (0..<20).map { Fixture.record(Fixture.body(id: "r\($0)", age: "\($0)", plan: $0 % 2 == 0 ? #""pro""# : #""free""#), offset: Int64($0)) }
        let first = await fixture.process(batch)
        let callsAfterFirst = fixture.backend.callCount
        #expect(callsAfterFirst > 0)
        // Cache writes run behind the answers: wait for all 40 (20 answers, 20 shadows) to land.
        for _ in 0..<10_000 where fixture.cache.entryCount < 40 { await Task.yield() }
        try #require(fixture.cache.entryCount == 40)
        let second = await fixture.process(batch)
        #expect(fixture.backend.callCount == callsAfterFirst, "every answer of the repeated batch comes from the cache")
        try #require(first.results.count == 40 && second.results.count == 40)
        for (computed, cached) in zip(first.results.map(Answer.init), second.results.map(Answer.init)) {
            #expect(try computed.outputs() == cached.outputs())
            #expect(computed.eventId == cached.eventId)
        }
    }

    @Test func coldModelsLoadOnceAfterTheBatchIsRouted() async throws {
        let fixture = try Fixture(cacheTTLSeconds: 0)
        let batch = (0..<50).map { Fixture.record(Fixture.body(id: "r\($0)", age: "\($0)"), offset: Int64($0)) }
        let output = await fixture.process(batch)
        #expect(output.results.count == 100)
        #expect(fixture.artifacts.readCount(ModelVersionKey(Fixture.acmeChurn, version: 1)) == 1)
        #expect(fixture.artifacts.readCount(ModelVersionKey(Fixture.acmeChurn, version: 2)) == 1)
        _ = await fixture.process(batch)
        #expect(fixture.artifacts.readCount(ModelVersionKey(Fixture.acmeChurn, version: 1)) == 1, "a loaded model stays in memory")
        #expect(fixture.cache.readCount == 0, "a TTL of 0 turns the cache off")
    }

    /// Each failure code, with a request that earns it.
    @Test func everyFailureCodeHasARequestThatEarnsIt() async throws {
        let cases: [(PredictionFailureCode, String, String)] = [
            (.undecodable, "acme", #"{"id":"u","model_name":"churn","inputs":[{"name":"age","shape":[1],"datatype":"FP32","data":[1,}]}"#),
            (.unknownModel, "acme", Fixture.body(id: "m", model: "nope")),
            (.unknownVersion, "acme", Fixture.body(id: "v", version: "9")),
            (.notDeployed, "acme", Fixture.body(id: "d", alias: "staging")),
            (.modelUnavailable, "acme", Fixture.body(id: "g", model: "ghost")),
            (.invalidShape, "acme", #"{"id":"s","model_name":"churn","inputs":[{"name":"input","shape":[1,5],"datatype":"FP32","data":[1,2,3,4,5]}]}"#),
            (.invalidDatatype, "acme", Fixture.body(id: "t", age: #""old""#, plan: #""pro""#).replacingOccurrences(of: #""datatype":"FP32""#, with: #""datatype":"BYTES""#)),
            (.nonFiniteInput, "acme", Fixture.body(id: "n", age: "1e39")),
            (.missingInput, "acme", #"{"id":"i","model_name":"churn","inputs":[{"name":"age","shape":[1],"datatype":"FP32","data":[14]}]}"#),
            (.unknownCategory, "acme", Fixture.body(id: "c", plan: #""enterprise""#)),
        ]
        let fixture = try Fixture()
        let output = await fixture.process(cases.enumerated().map { Fixture.record($1.2, offset: Int64($0), tenant: $1.1) })
        let primaries = try output.results.map(Answer.init).filter { try $0.type == PredictionFailed.eventType || $0.completed().shadow != true }
        try #require(primaries.count == cases.count)
        for (answer, expected) in zip(primaries, cases) {
            #expect(answer.type == PredictionFailed.eventType)
            #expect(try answer.failed().code == expected.0.rawValue, "\(expected.2)")
        }
        var covered = Set(cases.map(\.0))

        // Too large: a service whose limit is smaller than the request.
        let small = try Fixture(maxRequestBytes: 64)
        let tooLarge = await small.process([Fixture.record(Fixture.body(id: "big"), offset: 0)]).results.map(Answer.init)
        try #require(tooLarge.count == 1)
        #expect(try tooLarge[0].failed().code == PredictionFailureCode.payloadTooLarge.rawValue)
        covered.insert(.payloadTooLarge)

        // Over quota, then back: the same request is answered again once the quota is restored.
        fixture.registry.setQuotaExceeded(tenant: "acme", true)
        let refused = await fixture.process([Fixture.record(Fixture.body(id: "q"), offset: 0)]).results.map(Answer.init)
        try #require(refused.count == 1)
        #expect(try refused[0].failed().code == PredictionFailureCode.quotaExceeded.rawValue)
        covered.insert(.quotaExceeded)
        fixture.registry.setQuotaExceeded(tenant: "acme", false)
        let restored = await fixture.process([Fixture.record(Fixture.body(id: "q"), offset: 0)]).results.map(Answer.init)
        #expect(restored.map(\.type) == [PredictionCompleted.eventType, PredictionCompleted.eventType])

        // A backend that fails: the primary gets compute_failed, the shadow is left out.
        let broken = try Fixture(failingBackend: true)
        let failed = await broken.process([Fixture.record(Fixture.body(id: "f"), offset: 0)]).results.map(Answer.init)
        try #require(failed.count == 1)
        #expect(try failed[0].failed().code == PredictionFailureCode.computeFailed.rawValue)
        covered.insert(.computeFailed)

        #expect(covered == Set(PredictionFailureCode.allCases), "a failure code without a test here: \(Set(PredictionFailureCode.allCases).subtracting(covered))")
    }

    /// The hot path reads headers in place; it must refuse exactly the records the shared
    /// CloudEvents decoder refuses, and read structured-mode events too.
    @Test func theEnvelopeIsCheckedExactlyLikeTheSharedDecoder() async throws {
        let fixture = try Fixture()
        let body = Fixture.body(id: "e")
        let records = [
            Fixture.record(body, offset: 0, without: [CloudEventHeader.source]),
            Fixture.record(body, offset: 1, without: [CloudEventHeader.time]),
            Fixture.record(body, offset: 2, replacing: [CloudEventHeader.time: "yesterday"]),
            Fixture.record(body, offset: 3, replacing: [CloudEventHeader.time: "2026-02-30T10:00:00Z"]),
            Fixture.record(body, offset: 4, replacing: [CloudEventHeader.specVersion: "0.3"]),
            Fixture.record(body, offset: 5, without: [CloudEventHeader.id]),
            Fixture.record("", offset: 6),
            Fixture.record(body, offset: 7, replacing: [CloudEventHeader.time: "2026-11-22T10:00:00.123+01:00"]),
            Fixture.record(body, offset: 8, type: PredictionCompleted.eventType),
        ]
        for record in records {
            let shared = Result { try CloudEvent(kafkaHeader: { record.header(named: $0) }, value: record.value) }
            let output = await fixture.process([record])
            switch shared {
            case .failure(let error):
                #expect(output.deadLetters.count == 1 && output.results.isEmpty, "offset \(record.offset) refused by the decoder: \(error)")
            case .success(let event) where event.type == PredictionRequested.eventType:
                #expect(output.deadLetters.isEmpty && output.results.count == 2, "offset \(record.offset) accepted by the decoder")
            case .success:
                #expect(output.deadLetters.isEmpty && output.results.isEmpty && output.skipped == 1, "offset \(record.offset) is another type")
            }
        }
        // Structured mode: attributes and data in one JSON object.
        let structured = #"{"specversion":"1.0","id":"s-1","source":"/tests","type":"\#(PredictionRequested.eventType)","#
            + #""tenantid":"acme","data":\#(body)}"#
        let message = KafkaConsumerMessage(topic: "requests", partition: 0, offset: 9, key: nil, value: Array(structured.utf8),
                                           headers: [KafkaHeader(name: CloudEventHeader.contentType, string: CloudEvent.structuredContentType)])
        let answers = await fixture.process([message]).results.map(Answer.init)
        try #require(answers.count == 2)
        #expect(try answers[0].outputs() == [2.5, 0] && answers[0].eventId == "s-1/result")
    }

    /// A protobuf request is answered in protobuf, with the outputs of a local forward pass.
    @Test func aProtobufAnswerMatchesALocalForwardPass() async throws {
        let fixture = try Fixture()
        var contents = OIPProtobuf.Writer()
        contents.tag(6, 2)
        let values: [Float] = [14, 1, 8, 0]
        contents.varint(UInt64(values.count * 4))
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { contents.bytes.append(contentsOf: $0) } }
        var shape = OIPProtobuf.Writer()
        shape.varint(2)
        shape.varint(2)
        var tensor = OIPProtobuf.Writer()
        tensor.string(1, "input")
        tensor.string(2, "FP32")
        tensor.message(3, shape.bytes)
        tensor.message(5, contents.bytes)
        var request = OIPProtobuf.Writer()
        request.string(1, "churn")
        request.string(3, "pb-1")
        request.message(5, tensor.bytes)
        var record = Fixture.record("", offset: 0, replacing: [CloudEventHeader.contentType: OIPProtobuf.contentType])
        record.value = request.bytes
        let answers = await fixture.process([record]).results
        try #require(answers.count == 2)
        #expect(Answer(answers[0]).header(CloudEventHeader.contentType) == OIPProtobuf.contentType)
        let decoded = try Self.outputs(ofProtobufResponse: answers[0].value ?? [])
        let network = try FeedForwardNetwork(try ArtifactCodec.decode(json: try #require(try await fixture.artifacts.artifact(
            ModelVersionKey(Fixture.acmeChurn, version: 1)))))
        let local = try values.withUnsafeBufferPointer { try network.predict($0, rows: 2, backend: CountingBackend()) }
        #expect(decoded == local && local == [2.5, 0, 0, 1])
    }

    /// The FP32 contents of a `ModelInferResponse`'s first output.
    static func outputs(ofProtobufResponse bytes: [UInt8]) throws -> [Float] {
        try bytes.withUnsafeBufferPointer { buffer in
            var response = OIPProtobuf.Reader(buffer)
            while !response.atEnd {
                let (field, wire) = try response.tag()
                guard field == 5 else { try response.skip(wire); continue }
                let output = try response.delimited()
                var tensor = OIPProtobuf.Reader(buffer, from: output.lowerBound, to: output.upperBound)
                while !tensor.atEnd {
                    let (field, wire) = try tensor.tag()
                    guard field == 5 else { try tensor.skip(wire); continue }
                    let contents = try tensor.delimited()
                    var reader = OIPProtobuf.Reader(buffer, from: contents.lowerBound, to: contents.upperBound)
                    while !reader.atEnd {
                        let (field, wire) = try reader.tag()
                        guard field == 6 else { try reader.skip(wire); continue }
                        let packed = try reader.delimited()
                        var values = OIPProtobuf.Reader(buffer, from: packed.lowerBound, to: packed.upperBound)
                        var floats: [Float] = []
                        while !values.atEnd { floats.append(Float(bitPattern: try values.fixed32())) }
                        return floats
                    }
                }
            }
            return []
        }
    }

    /// The `[n, d]` matrix form is read straight into the batch's input buffer (the fast path);
    /// it must answer exactly what the per-feature form answers, and be checked the same way.
    @Test func theMatrixFormAnswersWhatThePerFeatureFormAnswers() async throws {
        let fixture = try Fixture()
        func matrix(_ id: String, shape: String, data: String, name: String = "input") -> String {
            #"{"id":"\#(id)","model_name":"churn","inputs":[{"name":"\#(name)","shape":\#(shape),"datatype":"FP32","data":\#(data)}]}"#
        }
        // plan is one-hot of [free, pro]: index 1 is "pro".
        let output = await fixture.process([
            Fixture.record(Fixture.body(id: "features", age: "14"), offset: 0),
            Fixture.record(matrix("matrix", shape: "[1,2]", data: "[14.0,1]"), offset: 1),
            Fixture.record(matrix("rows", shape: "[2,2]", data: "[[14,1],[8,0]]"), offset: 2),
            Fixture.record(matrix("wide", shape: "[1,3]", data: "[14,1,0]"), offset: 3),
            Fixture.record(matrix("huge", shape: "[1,2]", data: "[1e39,1]"), offset: 4),
            Fixture.record(matrix("category", shape: "[1,2]", data: "[14,7]"), offset: 5),
            Fixture.record(matrix("short", shape: "[2,2]", data: "[14,1]"), offset: 6),
            Fixture.record(Fixture.body(id: "free", age: "8", plan: #""free""#), offset: 7),
        ])
        let answers = output.results.map(Answer.init).filter { (try? $0.completed().shadow) != true }
        try #require(answers.map { $0.header(CloudEventHeader.subject) ?? "" } == ["features", "matrix", "rows", "wide", "huge", "category", "short", "free"])
        #expect(try answers[0].outputs() == [2.5, 0])
        #expect(try answers[1].outputs() == answers[0].outputs(), "the same row in either form")
        // Two rows in one request: each the per-feature form's answer (plan index 0 is "free").
        #expect(try answers[2].outputs() == answers[0].outputs() + answers[7].outputs())
        #expect(try answers[2].completed().outputs[0].shape == [2, 2])
        #expect(try answers[3].failed().code == PredictionFailureCode.invalidShape.rawValue)
        #expect(try answers[3].failed().message == "input input has shape [1, 3]; the model expects [n,2]")
        #expect(try answers[4].failed().code == PredictionFailureCode.nonFiniteInput.rawValue)
        #expect(try answers[5].failed().code == PredictionFailureCode.unknownCategory.rawValue)
        #expect(try answers[6].failed().message == "input input has 2 values for shape [2, 2]")
    }
}
