import IntelliCoreKafka
import Testing

struct AssignmentWatchTests {
    @Test func reportsALongUnassignedPeriodOnceAndItsEnd() {
        var watch = AssignmentWatch(patience: .seconds(60))
        let start = ContinuousClock.now
        #expect(watch.observe(assigned: false, at: start) == .quiet, "the period starts")
        #expect(watch.observe(assigned: false, at: start + .seconds(59)) == .quiet)
        #expect(watch.observe(assigned: false, at: start + .seconds(61)) == .unassigned(.seconds(61)))
        #expect(watch.observe(assigned: false, at: start + .seconds(300)) == .quiet, "once per period")
        #expect(watch.observe(assigned: true, at: start + .seconds(302)) == .assigned(after: .seconds(302)))
        #expect(watch.observe(assigned: true, at: start + .seconds(400)) == .quiet)
        // A new period (all partitions revoked) is timed from its own start.
        #expect(watch.observe(assigned: false, at: start + .seconds(500)) == .quiet)
        #expect(watch.observe(assigned: false, at: start + .seconds(559)) == .quiet)
        #expect(watch.observe(assigned: false, at: start + .seconds(560)) == .unassigned(.seconds(60)))
    }

    @Test func aShortWaitForTheFirstAssignmentIsNotReported() {
        var watch = AssignmentWatch(patience: .seconds(60))
        let start = ContinuousClock.now
        #expect(watch.observe(assigned: false, at: start) == .quiet)
        #expect(watch.observe(assigned: false, at: start + .seconds(11)) == .quiet)
        #expect(watch.observe(assigned: true, at: start + .seconds(12)) == .quiet, "nothing was reported, so nothing ends")
        #expect(watch.observe(assigned: false, at: start + .seconds(100)) == .quiet, "a new period")
        #expect(watch.observe(assigned: false, at: start + .seconds(130)) == .quiet)
    }
}
