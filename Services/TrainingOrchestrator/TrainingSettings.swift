import IntelliCoreServiceKit

/// The training orchestrator's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `TRAINING_DATASET_POLL_BATCH` | 200: dataset events stored per transaction (a `DatasetRecordsAppended` carries up to 1,000 rows) |
/// | `TRAINING_WORKERS` | 1: jobs this instance trains at once (each uses OpenBLAS's threads) |
/// | `TRAINING_TENANT_CONCURRENCY` | 2: a tenant's jobs running at once across all instances |
/// | `TRAINING_RETRY_LIMIT` | 3: attempts of a job (a killed or failing attempt counts) before it fails for good |
/// | `TRAINING_LEASE_SECONDS` | 30: how long a killed instance's job waits before another attempt takes it over |
/// | `TRAINING_DATA_WAIT_SECONDS` | 60: how long a job waits for its dataset version to arrive and be sealed |
/// | `TRAINING_RETRAIN_INTERVAL_SECONDS` | 3600: a model's drift retraining runs at most once per this long |
struct TrainingSettings: ServiceSettings {
    var datasetPollBatch: Int
    var workers: Int
    var tenantConcurrency: Int
    var retryLimit: Int
    var leaseSeconds: Int
    var dataWaitSeconds: Int
    var retrainIntervalSeconds: Int

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        datasetPollBatch = try reader.integer("TRAINING_DATASET_POLL_BATCH", default: 200, range: 1...10_000)
        workers = try reader.integer("TRAINING_WORKERS", default: 1, range: 1...64)
        tenantConcurrency = try reader.integer("TRAINING_TENANT_CONCURRENCY", default: 2, range: 1...1_000)
        retryLimit = try reader.integer("TRAINING_RETRY_LIMIT", default: 3, range: 1...100)
        leaseSeconds = try reader.integer("TRAINING_LEASE_SECONDS", default: 30, range: 2...3_600)
        dataWaitSeconds = try reader.integer("TRAINING_DATA_WAIT_SECONDS", default: 60, range: 0...86_400)
        retrainIntervalSeconds = try reader.integer("TRAINING_RETRAIN_INTERVAL_SECONDS", default: 3600, range: 0...31_536_000)
    }
}
