import Foundation
import IntelliCoreNumerics
import IntelliCoreServiceKit

/// The `inference` executable: batched predictions over Kafka (see docs/inference.md).
@main
enum InferenceService {
    static let descriptor = ServiceDescriptor(name: "inference", schema: "inference", defaultHTTPPort: 8083,
                                              migrations: InferenceMigrations.all)

    static func main() async {
        let settings: InferenceSettings
        let backend: any NumericsBackend
        do {
            settings = try InferenceSettings(environment: ProcessInfo.processInfo.environment)
            backend = try NumericsBackends.make(named: settings.backend)
            OpenBLASBackend.setThreadCount(settings.blasThreads)
        } catch {
            FileHandle.standardError.write(Data("inference: \(error)\n".utf8))
            exit(78)
        }
        await ServiceRuntime.main(descriptor, extensions: .init { context, router in
            let pipeline = try InferencePipeline(context: context, settings: settings, backend: backend)
            ModelRoutes.add(to: router, registry: pipeline.registry, processor: pipeline.processor)
            return [pipeline]
        })
    }
}
