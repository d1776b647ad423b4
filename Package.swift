// swift-tools-version: 6.1
import PackageDescription

/// Applied to every target so the whole platform is compiled under the same rules.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

func sharedTarget(_ name: String, dependencies: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: dependencies, path: "Shared/\(name)", swiftSettings: swiftSettings)
}

/// A service executable lives in `Services/<Folder>` and is built as `<product>`.
func serviceTarget(_ folder: String, dependencies: [Target.Dependency] = [], resources: [Resource]? = nil) -> Target {
    .executableTarget(
        name: folder,
        dependencies: ["IntelliCoreServiceKit"] + dependencies,
        path: "Services/\(folder)",
        resources: resources,
        swiftSettings: swiftSettings
    )
}

let services: [(product: String, target: String)] = [
    ("ingestion", "Ingestion"),
    ("training-orchestrator", "TrainingOrchestrator"),
    ("inference", "Inference"),
    ("monitoring", "Monitoring"),
    ("billing", "Billing"),
]

let package = Package(
    name: "IntelliCore",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.product, targets: [$0.target]) } + [
        .executable(name: "kafka-benchmark", targets: ["KafkaBenchmark"]),
        .executable(name: "inference-kernel-benchmark", targets: ["InferenceKernelBenchmark"]),
        .executable(name: "inference-benchmark", targets: ["InferenceBenchmark"]),
        .executable(name: "gateway-benchmark", targets: ["GatewayBenchmark"]),
        .executable(name: "dataset-benchmark", targets: ["DatasetBenchmark"]),
        .executable(name: "training-benchmark", targets: ["TrainingBenchmark"]),
        .executable(name: "billing-benchmark", targets: ["BillingBenchmark"]),
        .executable(name: "monitoring-benchmark", targets: ["MonitoringBenchmark"]),
        .executable(name: "intellicore-cli", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(name: "CRDKafka", path: "Shared/CRDKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev (>= 2.1, see scripts/setup.sh)"])]),
        .systemLibrary(name: "CHiredis", path: "Shared/CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CZlib", path: "Shared/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Shared/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Shared/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),

        // Shared libraries: events → kits → adapters → services.
        sharedTarget("IntelliCoreEvents"),
        sharedTarget("IntelliCoreOIP", dependencies: ["IntelliCoreEvents", "IntelliCoreModels"]),
        sharedTarget("IntelliCoreConcurrency"),
        sharedTarget("IntelliCoreKafka", dependencies: [
            "CRDKafka", "IntelliCoreConcurrency",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // CloudEvents on Kafka records, and the dead-letter publisher: the Kafka client itself
        // knows nothing of event formats.
        sharedTarget("IntelliCoreEventBus", dependencies: [
            "IntelliCoreEvents", "IntelliCoreKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        sharedTarget("IntelliCoreRedis", dependencies: [
            "CHiredis", "IntelliCoreConcurrency",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        sharedTarget("IntelliCoreNumerics", dependencies: ["COpenBLAS"]),
        sharedTarget("IntelliCoreModels", dependencies: [
            "IntelliCoreEvents", "IntelliCoreNumerics", "CZlib", "CLibCrypto",
        ]),
        sharedTarget("IntelliCoreLearning", dependencies: ["IntelliCoreEvents", "IntelliCoreModels", "IntelliCoreNumerics", "COpenBLAS"]),
        sharedTarget("IntelliCorePostgres", dependencies: [
            "IntelliCoreConcurrency",
            "IntelliCoreEvents", "IntelliCoreKafka", "IntelliCoreEventBus",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        sharedTarget("IntelliCoreServiceKit", dependencies: [
            "IntelliCoreEvents", "IntelliCoreConcurrency", "IntelliCoreKafka", "IntelliCoreEventBus", "IntelliCorePostgres", "IntelliCoreRedis",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The five services.
        serviceTarget("Ingestion", dependencies: ["IntelliCoreModels", "IntelliCoreNumerics", "CZlib",
                                                 .product(name: "Crypto", package: "swift-crypto")], resources: [.copy("HTTP/openapi.json")]),
        serviceTarget("TrainingOrchestrator", dependencies: ["IntelliCoreLearning", "IntelliCoreModels"], resources: [.copy("HTTP/openapi.json")]),
        serviceTarget("Inference", dependencies: ["IntelliCoreNumerics", "IntelliCoreModels", "IntelliCoreOIP", "IntelliCoreEventBus"]),
        serviceTarget("Monitoring", dependencies: ["IntelliCoreModels", "IntelliCoreOIP", "IntelliCoreEventBus"],
                      resources: [.copy("HTTP/openapi.json"), .copy("HTTP/Dashboard")]),
        serviceTarget("Billing", resources: [.copy("HTTP/openapi.json")]),

        // The command-line client: an outside client of the services' HTTP APIs and of Kafka.
        .executableTarget(name: "CLI", dependencies: [
                              "IntelliCoreEvents", "IntelliCoreKafka", "IntelliCoreEventBus",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Logging", package: "swift-log"),
                          ],
                          path: "CLI", exclude: ["Demo/DATASET.md"], resources: [.copy("Demo/breast-cancer-wisconsin.csv")],
                          swiftSettings: swiftSettings),

        // Benchmarks: executables that print figures.
        .target(name: "BenchmarkSupport", path: "Benchmarks/BenchmarkSupport", swiftSettings: swiftSettings),
        .executableTarget(name: "KafkaBenchmark", dependencies: ["IntelliCoreKafka", "CRDKafka", "BenchmarkSupport"],
                          path: "Benchmarks/KafkaBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "InferenceKernelBenchmark", dependencies: ["IntelliCoreModels", "IntelliCoreNumerics", "BenchmarkSupport"],
                          path: "Benchmarks/InferenceKernelBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "InferenceBenchmark", dependencies: ["IntelliCoreModels", "IntelliCoreKafka", "IntelliCoreEventBus", "IntelliCoreEvents", "BenchmarkSupport"],
                          path: "Benchmarks/InferenceBenchmark", exclude: ["python_worker.py"], swiftSettings: swiftSettings),
        .executableTarget(name: "GatewayBenchmark", dependencies: ["IntelliCoreModels", "IntelliCoreKafka", "IntelliCoreEventBus", "IntelliCoreEvents", "BenchmarkSupport"],
                          path: "Benchmarks/GatewayBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "DatasetBenchmark", dependencies: ["IntelliCoreKafka", "IntelliCoreModels", "IntelliCorePostgres", "BenchmarkSupport",
                                                                   .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/DatasetBenchmark", exclude: ["pandas_peer.py"], swiftSettings: swiftSettings),

        .executableTarget(name: "TrainingBenchmark", dependencies: ["IntelliCoreLearning", "IntelliCoreModels", "IntelliCoreEvents", "BenchmarkSupport"],
                          path: "Benchmarks/TrainingBenchmark", exclude: ["sklearn_peer.py"], swiftSettings: swiftSettings),

        .executableTarget(name: "MonitoringBenchmark", dependencies: ["IntelliCoreEvents", "IntelliCoreEventBus", "IntelliCoreKafka", "IntelliCoreModels", "IntelliCoreOIP",
                                                                  "BenchmarkSupport", .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/MonitoringBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "BillingBenchmark", dependencies: ["IntelliCoreEvents", "IntelliCoreKafka", "IntelliCorePostgres", "BenchmarkSupport",
                                                                   .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/BillingBenchmark", swiftSettings: swiftSettings),

        // Test fixtures: processes the integration tests start and kill.
        .executableTarget(name: "OutboxRelayFixture", dependencies: [
                              "IntelliCorePostgres", "IntelliCoreKafka", .product(name: "Logging", package: "swift-log"),
                          ],
                          path: "Tests/Fixtures/OutboxRelayFixture", swiftSettings: swiftSettings),

        // Tests.
        .testTarget(name: "IntelliCoreEventsTests", dependencies: ["IntelliCoreEvents"],
                    path: "Tests/IntelliCoreEventsTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreOIPTests", dependencies: ["IntelliCoreOIP", "IntelliCoreEvents"],
                    path: "Tests/IntelliCoreOIPTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreKafkaTests", dependencies: ["IntelliCoreKafka", "CRDKafka", "IntelliCoreEventBus", "IntelliCoreEvents"],
                    path: "Tests/IntelliCoreKafkaTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreModelsTests", dependencies: ["IntelliCoreModels", "IntelliCoreNumerics", .product(name: "Crypto", package: "swift-crypto")],
                    path: "Tests/IntelliCoreModelsTests", swiftSettings: swiftSettings),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "IntelliCoreEvents", "IntelliCoreKafka", "IntelliCoreModels", "IntelliCoreNumerics", "IntelliCoreOIP",
                                                          "IntelliCoreRedis"],
                    path: "Tests/InferenceTests", swiftSettings: swiftSettings),
        .testTarget(name: "TrainingOrchestratorTests", dependencies: ["TrainingOrchestrator", "IntelliCoreEvents"],
                    path: "Tests/TrainingOrchestratorTests", swiftSettings: swiftSettings),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "IntelliCoreEvents", "IntelliCoreModels", "IntelliCoreOIP"],
                    path: "Tests/MonitoringTests", swiftSettings: swiftSettings),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "IntelliCoreEvents", "IntelliCoreServiceKit"],
                    path: "Tests/BillingTests", swiftSettings: swiftSettings),
        .testTarget(name: "IngestionTests", dependencies: ["Ingestion", "IntelliCoreEvents"],
                    path: "Tests/IngestionTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreLearningTests", dependencies: ["IntelliCoreLearning", "IntelliCoreModels", "IntelliCoreEvents", "IntelliCoreNumerics"],
                    path: "Tests/IntelliCoreLearningTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreNumericsTests", dependencies: ["IntelliCoreNumerics"],
                    path: "Tests/IntelliCoreNumericsTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntelliCoreServiceKitTests", dependencies: [
                        "IntelliCoreServiceKit",
                        .product(name: "HummingbirdTesting", package: "hummingbird"),
                    ],
                    path: "Tests/IntelliCoreServiceKitTests", swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: [
                        "IntelliCoreEvents", "IntelliCoreKafka", "IntelliCoreEventBus", "IntelliCorePostgres",
                        "IntelliCoreRedis", "IntelliCoreServiceKit", "IntelliCoreModels", "IntelliCoreNumerics", "IntelliCoreOIP", "Inference",
                        .product(name: "PostgresNIO", package: "postgres-nio"),
                    ],
                    path: "Tests/IntegrationTests", swiftSettings: swiftSettings),
    ]
)
