import Foundation
import IntelliCoreEvents
import Testing

@Suite struct CloudEventTests {
    let event = PredictionFailed(id: "req-1", modelName: "churn", code: "unknown_model", message: "no such model")

    func header(_ headers: [(name: String, value: String)]) -> (String) -> [UInt8]? {
        { name in headers.last(where: { $0.name == name }).map { Array($0.value.utf8) } }
    }

    @Test func binaryModeRoundTrip() throws {
        let envelope = try CloudEvent(event, source: "/intellicore/inference", subject: "req-1", tenantId: "acme")
        let headers = envelope.kafkaHeaders
        #expect(headers.map(\.name) == ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_tenantid", "content-type"])
        let decoded = try CloudEvent(kafkaHeader: header(headers), value: envelope.data)
        #expect(decoded.id == envelope.id)
        #expect(decoded.type == "intellicore.prediction.failed.v1")
        #expect(decoded.tenantId == "acme")
        #expect(abs(decoded.time.timeIntervalSince(envelope.time)) < 0.001)
        #expect(try decoded.decode(as: PredictionFailed.self) == event)
    }

    @Test func payloadUsesSnakeCaseKeys() throws {
        let json = String(decoding: try EventCodec.encode(event), as: UTF8.self)
        #expect(json.contains("\"model_name\":\"churn\""))
    }

    @Test func structuredModeIsAccepted() throws {
        let body = """
            {"specversion":"1.0","id":"e-1","source":"/ext","type":"intellicore.prediction.failed.v1",
             "time":"2026-11-22T10:00:00Z","tenantid":"acme","datacontenttype":"application/json",
             "data":{"id":"req-1","model_name":"churn","code":"unknown_model","message":"no such model"}}
            """
        let decoded = try CloudEvent(kafkaHeader: { $0 == "content-type" ? Array("application/cloudevents+json".utf8) : nil },
                                     value: Array(body.utf8))
        #expect(decoded.id == "e-1")
        #expect(decoded.tenantId == "acme")
        #expect(try decoded.decode(as: PredictionFailed.self) == event)
    }

    @Test func missingAttributesAreReportedByName() throws {
        var headers = try CloudEvent(event, source: "/x").kafkaHeaders
        headers.removeAll { $0.name == "ce_type" }
        let error = #expect(throws: EventError.self) { try CloudEvent(kafkaHeader: header(headers), value: [1]) }
        #expect(error?.code == .missingAttribute)
        #expect(error?.message.contains("ce_type") == true)
    }

    @Test func nullValueIsAnErrorNotACrash() throws {
        let headers = try CloudEvent(event, source: "/x").kafkaHeaders
        let error = #expect(throws: EventError.self) { try CloudEvent(kafkaHeader: header(headers), value: nil) }
        #expect(error?.code == .emptyPayload)
    }

    @Test func wrongTypeIsRejected() throws {
        let envelope = try CloudEvent(event, source: "/x")
        #expect(throws: EventError.self) { try envelope.decode(as: PredictionCompleted.self) }
    }

    @Test func nestedTensorDataIsFlattened() throws {
        let json = #"{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}"#
        let tensor = try EventCodec.decode(InferenceTensor.self, from: Array(json.utf8))
        #expect(tensor.data == .numbers([1, 2, 3, 4]))
        let mixed = #"{"name":"x","shape":[2],"datatype":"FP32","data":[1,"a"]}"#
        #expect(throws: EventError.self) { try EventCodec.decode(InferenceTensor.self, from: Array(mixed.utf8)) }
    }

    @Test func catalogTypesAreUniqueAndVersioned() {
        let types = EventCatalog.all.map { $0.eventType }
        #expect(Set(types).count == types.count)
        #expect(types.allSatisfy { $0.hasPrefix("intellicore.") && $0.hasSuffix(".v1") })
        #expect(EventCatalog.eventType(named: "intellicore.model.deployed.v1") == ModelDeployed.self)
        #expect(EventCatalog.eventType(named: "nope") == nil)
    }

    @Test func topicPrefix() {
        let names = TopicNames(prefix: "staging.")
        #expect(names[.models] == "staging.intellicore.models")
        #expect(names.topic(named: "staging.intellicore.models") == .models)
        #expect(names.topic(named: "intellicore.models") == nil)
    }

    /// The byte-level check is the definition of a valid `ce_time` (RFC 3339 § 5.6, stricter than
    /// Foundation's parser, which takes `24:00`, 29 February of any year and trailing text); what
    /// it accepts, the parser reads.
    @Test(arguments: ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5Z", "2026-11-22T10:00:00.123456+01:00", "2024-02-29T23:59:59-12:30"])
    func validTimestampsPassTheCheckAndParse(text: String) {
        #expect(RFC3339.isTimestamp(Array(text.utf8)[...]))
        #expect(EventCodec.parseTime(text) != nil)
    }

    @Test(arguments: ["2026-02-29T10:00:00Z", "2026-13-01T10:00:00Z", "2026-11-22 10:00:00Z", "2026-11-22T10:00:00", "2026-11-22T24:00:00Z",
                      "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00Zjunk", "yesterday", "2026-11-22", "2026-11-22t10:00:00z"])
    func invalidTimestampsAreRefused(text: String) throws {
        #expect(!RFC3339.isTimestamp(Array(text.utf8)[...]))
        let headers = [(CloudEventHeader.specVersion, "1.0"), (CloudEventHeader.id, "a"), (CloudEventHeader.source, "/t"),
                       (CloudEventHeader.type, "t"), (CloudEventHeader.time, text)]
        #expect(throws: EventError.self) { try CloudEvent(kafkaHeader: header(headers), value: [1]) }
    }

    /// The check reads the collection's own indices: a timestamp inside a larger buffer (a slice
    /// not starting at 0) is checked the same as on its own.
    @Test func timestampsAreCheckedInsideSlices() {
        for (text, valid) in [("2026-11-22T10:00:00Z", true), ("2026-11-22T10:00:00.25-05:30", true), ("2026-11-22T10:00:00+01:0", false),
                              ("2026-11-22T10:00:00+01:00x", false), ("2026-11-22T10:00:00.123", false), ("2026-11-22T10:00:00+24:00", false)] {
            let padded = Array("junk:".utf8) + Array(text.utf8) + Array(":more".utf8)
            let slice = padded[5..<(5 + text.utf8.count)]
            #expect(RFC3339.isTimestamp(slice) == valid, "\(text)")
            #expect(RFC3339.isTimestamp(Array(text.utf8)[...]) == valid, "\(text)")
        }
    }

    /// Random edits of valid timestamps: every text `parse` reads passes the check, and every
    /// text the check passes is read by `parse` unless it is outside `parse`'s narrower range
    /// (years before 1583, more than 9 fraction digits, offsets past 18 hours).
    @Test func theCheckAgreesWithTheParserOnEditedTimestamps() {
        var generator = SystemRandomNumberGenerator()
        let seeds = ["2026-11-22T10:00:00Z", "2024-02-29T23:59:59.123456789-12:30", "1999-12-31T00:00:00.5+18:00"]
        let alphabet = Array("0123456789-:TZ.+tz 9".utf8)
        var passed = 0
        for _ in 0..<20_000 {
            var text = Array(seeds.randomElement(using: &generator)!.utf8)
            for _ in 0..<Int.random(in: 1...2, using: &generator) {
                let position = Int.random(in: 0..<text.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: text[position] = alphabet.randomElement(using: &generator)!
                case 1: text.remove(at: position)
                default: text.insert(alphabet.randomElement(using: &generator)!, at: position)
                }
            }
            let checked = RFC3339.isTimestamp(text[...]), parsed = RFC3339.parse(text) != nil
            if parsed { #expect(checked, "\(String(decoding: text, as: UTF8.self)) parses but fails the check") }
            if checked {
                passed += 1
                let fraction = text.drop { $0 != 0x2E }.dropFirst().prefix { $0 >= 0x30 && $0 <= 0x39 }.count
                let year = Int(String(decoding: text.prefix(4), as: UTF8.self)) ?? 0
                let zone = text.last == 0x5A ? 0 : Int(String(decoding: text.suffix(5).prefix(2), as: UTF8.self)) ?? 0
                let outside = year < 1583 || fraction > 9 || zone * 60 + (Int(String(decoding: text.suffix(2), as: UTF8.self)) ?? 0) > 18 * 60
                #expect(parsed || outside, "\(String(decoding: text, as: UTF8.self)) passes the check but does not parse")
            }
        }
        #expect(passed > 100, "edits kept some timestamps valid (\(passed))")
    }
}
