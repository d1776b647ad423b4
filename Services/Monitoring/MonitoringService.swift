import IntelliCoreServiceKit

/// The `monitoring` executable: live model health at the full prediction rate, drift against
/// the training baseline, deduplicated alerts, the audit trail, Prometheus series and the live
/// dashboard.
@main
enum MonitoringService {
    static let descriptor = ServiceDescriptor(name: "monitoring", schema: "monitoring", defaultHTTPPort: 8084,
                                              migrations: MonitoringMigrations.all, usesOutbox: true)

    static func main() async {
        await ServiceRuntime.main(descriptor, settings: MonitoringSettings.self, build: build)
    }
}
