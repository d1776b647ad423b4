/// What billing meters, per tenant: the `meter` of `UsageRecorded`, `QuotaExceeded` and
/// `QuotaRestored`.
public enum UsageMeter: String, Sendable, CaseIterable, Codable {
    /// One unit per row of a completed (non-shadow) prediction request.
    case predictions
    /// Seconds of training run time.
    case trainingSeconds = "training_seconds"
    /// Rows stored in sealed dataset versions.
    case datasetRows = "dataset_rows"
    /// Gigabytes (10⁹ bytes) of sealed dataset versions kept, times the share of the period they
    /// were kept: computed per period from each version's size and seal time, not metered per event.
    case storageGBMonths = "storage_gb_months"
}
