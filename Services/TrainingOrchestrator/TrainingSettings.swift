import IntelliCoreServiceKit

/// The training orchestrator's settings, read from the environment at start.
///
/// | variable | default |
/// |---|---|
/// | `TRAINING_DATASET_POLL_BATCH` | 200: dataset events stored per transaction (a `DatasetRecordsAppended` carries up to 1,000 rows) |
struct TrainingSettings: ServiceSettings {
    var datasetPollBatch: Int

    init(environment reader: EnvironmentReader) throws(ConfigurationError) {
        datasetPollBatch = try reader.integer("TRAINING_DATASET_POLL_BATCH", default: 200, range: 1...10_000)
    }
}
