import Foundation
@testable import Monitoring
import IntelliCoreEvents
import IntelliCoreOIP
import Testing

/// The sketch's error bound, window arithmetic, duplicates and the answer reader.
@Suite struct LiveWindowTests {
    /// Every quantile of a log-normal sample is within the sketch's 1 % of the exact one, and a
    /// merge of two halves answers like the whole.
    @Test func sketchQuantilesAreWithinOnePercent() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = []
        for _ in 0..<100_000 {
            let normal = (-2 * log(Double.random(in: Double.ulpOfOne..<1, using: &generator))).squareRoot()
                * cos(2 * .pi * Double.random(in: 0..<1, using: &generator))
            values.append(exp(-4 + 1.5 * normal)) // around 18 ms, from µs to seconds
        }
        var whole = LatencySketch(), first = LatencySketch(), second = LatencySketch()
        for (index, value) in values.enumerated() {
            whole.add(value)
            if index % 2 == 0 { first.add(value) } else { second.add(value) }
        }
        first.merge(second)
        #expect(first.counts == whole.counts && first.count == whole.count && abs(first.sum - whole.sum) < 1e-6)
        let sorted = values.sorted()
        var worst = 0.0
        for q in [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999] {
            let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
            let estimate = try #require(whole.quantile(q))
            worst = max(worst, abs(estimate - exact) / exact)
        }
        #expect(worst <= LatencySketch.relativeAccuracy + 1e-9, "worst relative error \(worst)")
        #expect(LatencySketch().quantile(0.5) == nil)
    }

    @Test func windowsCoverTheirSecondsAndMinutes() {
        var windows = ModelWindows()
        let now = 1_000_000.0
        var recorded: [Bool] = []
        for offset in [0.0, 30, 58.5, 61, 200, 299, 1000, 3500, 3700] {
            recorded.append(windows.record(at: now - offset, now: now) { $0.answers += 1 })
        }
        // Older than the hour is refused.
        #expect(recorded == [true, true, true, true, true, true, true, true, false])
        #expect(windows.window(seconds: 60, now: now).answers == 3)
        #expect(windows.window(seconds: 300, now: now).answers == 6)
        #expect(windows.window(seconds: 3600, now: now).answers == 8)
        // A minute later the oldest second slots have expired.
        #expect(windows.window(seconds: 60, now: now + 60).answers == 0)
    }

    @Test func aRepeatedIdCountsOnceWithinTheHorizon() {
        var filter = DuplicateFilter(horizon: 10)
        let id = DuplicateFilter.hash("answer-1".utf8)
        let sights = [filter.firstSight(id, second: 100), filter.firstSight(id, second: 105),
                      filter.firstSight(DuplicateFilter.hash("answer-2".utf8), second: 105), filter.firstSight(id, second: 111)]
        // Seen, repeated within the horizon, another id, the first after the horizon.
        #expect(sights == [true, false, true, true])
    }

    /// The answer's id is hashed from its bytes in place; with escapes it is decoded first, so it
    /// matches the feedback's request id (decoded by Codable) either way.
    @Test func answerIdsHashAsTheirDecodedText() throws {
        for (written, decoded) in [("r-\\u0031-\\\"q\\\"", "r-1-\"q\""), ("0b5e3c1a-7f7e-4a57-9d4e-5a0e2b1c9f00", "0b5e3c1a-7f7e-4a57-9d4e-5a0e2b1c9f00")] {
            let payload = Array(#"{"id":""#.utf8) + Array(written.utf8)
                + Array(#"","model_name":"churn","model_version":"1","outputs":[{"shape":[1,2],"data":[0.2,0.8]}]}"#.utf8)
            let answer = try payload.withUnsafeBufferPointer { try AnswerReader.completed($0, tenant: "acme", time: 10) }
            #expect(answer.requestId == DuplicateFilter.hash(decoded.utf8), "\(written)")
        }
        let notAString = Array(#"12"#.utf8).withUnsafeBufferPointer { bytes in
            var reader = JSONSkimmer(bytes)
            return reader.withStringBytes { $0.count }
        }
        #expect(notAString == nil)
    }

    @Test func answersAreReadAsInferenceWritesThem() throws {
        let values: [Float] = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7]
        let bytes = values.withUnsafeBufferPointer {
            OIPResultEncoder.completed(id: "r-1", model: "churn", version: 3, outputName: "probabilities", rows: 3, columns: 2, values: $0,
                                       shadow: false, queueSeconds: 0.001, computeSeconds: 0.0002, totalSeconds: 0.0125)
        }
        let answer = try bytes.withUnsafeBufferPointer { try AnswerReader.completed($0, tenant: "acme", time: 10) }
        #expect(answer.version == MonitoredVersion(tenant: "acme", model: "churn", version: "3"))
        #expect(answer.classes == [1, 0, 1] && answer.values.isEmpty && answer.columns == 2)
        #expect(answer.latency == 0.0125 && !answer.shadow)
        #expect(answer.requestId == DuplicateFilter.hash("r-1".utf8))

        let failed = OIPResultEncoder.failed(id: "r-2", model: "churn", version: nil, code: "unknown_category", message: "x", shadow: false)
        let failure = try failed.withUnsafeBufferPointer { try AnswerReader.failed($0, tenant: "acme", time: 10) }
        guard case .failure(let version, let code, _)? = failure else {
            Issue.record("not a failure: \(String(describing: failure))")
            return
        }
        #expect(version.version == "" && code == "unknown_category")
        let broken = Array(#"{"id":"r-3","model_name":"churn","outputs":[]}"#.utf8)
        let refused = Result { () throws(AnswerReader.Unreadable) in
            try broken.withUnsafeBufferPointer { bytes throws(AnswerReader.Unreadable) in try AnswerReader.completed(bytes, tenant: "acme", time: 10) }
        }
        guard case .failure(let unreadable) = refused else {
            Issue.record("an answer without model_version was read")
            return
        }
        #expect(unreadable.description.contains("model_version"))
    }

    /// Feedback joined to answers by request id gives the planted accuracy; a duplicate answer
    /// or feedback is not counted twice (the consumer drops it by ce_id before it gets here).
    @Test func feedbackGivesLiveAccuracy() throws {
        let live = LiveMetrics(dedupeSeconds: 10, feedbackCapacity: 100, driftWindowSeconds: 60)
        let version = MonitoredVersion(tenant: "acme", model: "churn", version: "1")
        let now = Date().timeIntervalSince1970
        var records: [StreamRecord] = []
        for index in 0..<40 {
            let id = DuplicateFilter.hash("r-\(index)".utf8)
            records.append(.answer(.init(version: version, requestId: id, time: now, shadow: false, latency: 0.01, columns: 2,
                                         classes: [index % 2], values: [])))
            // 30 of the 40 are right.
            records.append(.feedback(requestId: id, truth: Double(index < 30 ? index % 2 : 1 - index % 2), time: now))
        }
        records.append(.feedback(requestId: DuplicateFilter.hash("never-answered".utf8), truth: 1, time: now))
        live.apply(records, now: now) { _ in nil }
        let slot = try #require(live.window(version, seconds: 60, now: now))
        let summary = WindowSummary(version, slot, seconds: 60, now: now)
        #expect(summary.answers == 40 && summary.feedback == 40)
        #expect(summary.liveAccuracy == 0.75)
        #expect(live.counters.feedbackUnmatched == 1)
        #expect(summary.predictions.classCounts == [20, 20])
    }
}
