/// A model version of one tenant: the unit every window, drift report and alert is kept for.
struct MonitoredVersion: Hashable, Sendable, Codable {
    let tenant: String
    let model: String
    /// The version's number as events carry it ("3"); empty for failures that name no version.
    let version: String
}
