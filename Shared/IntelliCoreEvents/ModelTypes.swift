/// A threshold a new version must meet before it may become champion.
public struct ValidationGate: Codable, Sendable, Hashable {
    public var metric: String
    /// `true` when larger values are better (accuracy, R²), false for losses and errors.
    public var higherIsBetter: Bool
    public var threshold: Double
    /// Also require the candidate to be no worse than the current champion.
    public var mustBeatChampion: Bool

    public init(metric: String, higherIsBetter: Bool, threshold: Double, mustBeatChampion: Bool = true) {
        self.metric = metric
        self.higherIsBetter = higherIsBetter
        self.threshold = threshold
        self.mustBeatChampion = mustBeatChampion
    }
}

/// How requests for an alias are routed between versions.
public struct TrafficPolicy: Codable, Sendable, Hashable {
    public struct Route: Codable, Sendable, Hashable {
        public var version: Int
        /// Share of traffic, 0…1; the routes' weights add up to 1.
        public var weight: Double

        public init(version: Int, weight: Double) {
            self.version = version
            self.weight = weight
        }
    }

    public var routes: [Route]
    /// A version that also answers every request, published flagged as shadow.
    public var shadowVersion: Int?

    public init(routes: [Route], shadowVersion: Int? = nil) {
        self.routes = routes
        self.shadowVersion = shadowVersion
    }

    /// All traffic to one version.
    public static func single(_ version: Int) -> TrafficPolicy {
        TrafficPolicy(routes: [Route(version: version, weight: 1)])
    }
}

/// A model artifact carried inside a model event: compressed and content-digested.
public struct EncodedArtifact: Codable, Sendable, Hashable {
    /// The artifact format and its version, e.g. `intellicore.ffn.v1`.
    public var format: String
    /// How `data` is encoded: `gzip+base64` or `base64`.
    public var encoding: String
    /// `sha256:<hex>` of the uncompressed artifact bytes.
    public var digest: String
    public var sizeBytes: Int
    public var data: String

    public init(format: String, encoding: String, digest: String, sizeBytes: Int, data: String) {
        self.format = format
        self.encoding = encoding
        self.digest = digest
        self.sizeBytes = sizeBytes
        self.data = data
    }
}

/// A feature's distribution in the training data, for drift detection.
public struct FeatureBaseline: Codable, Sendable, Hashable {
    public var feature: String
    /// Bucket upper edges; the last bucket is open-ended.
    public var bucketEdges: [Double]
    /// Fraction of training rows per bucket (one more than `bucketEdges`).
    public var bucketFractions: [Double]

    public init(feature: String, bucketEdges: [Double], bucketFractions: [Double]) {
        self.feature = feature
        self.bucketEdges = bucketEdges
        self.bucketFractions = bucketFractions
    }

    /// The bucket of `value` for upper edges `edges`: the first whose edge is above the value, the
    /// last one open-ended. Training counts its baseline and monitoring its live inputs with it.
    public static func bucket(of value: Double, edges: [Double]) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if value < edges[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// Where a prediction's time went, in seconds.
public struct PredictionTimings: Codable, Sendable, Hashable {
    public var queueSeconds: Double
    public var computeSeconds: Double
    public var totalSeconds: Double

    public init(queueSeconds: Double, computeSeconds: Double, totalSeconds: Double) {
        self.queueSeconds = queueSeconds
        self.computeSeconds = computeSeconds
        self.totalSeconds = totalSeconds
    }
}

public enum AlertSeverity: String, Codable, Sendable, Hashable {
    case info, warning, critical
}

public enum ModelHealth: String, Codable, Sendable, Hashable {
    case healthy, degraded, failing, unknown
}

/// One line of an invoice: a meter's use by one model version (or by no model: dataset rows).
public struct InvoiceLine: Codable, Sendable, Hashable {
    public var meter: String
    public var quantity: Double
    /// The line's amount divided by its quantity (tiers make it an average).
    public var unitPrice: Double
    public var amount: Double
    public var modelName: String?
    public var modelVersion: String?
    /// The amount as an exact decimal string; `amount` is its approximation.
    public var amountExact: String?

    public init(meter: String, quantity: Double, unitPrice: Double, amount: Double, modelName: String? = nil, modelVersion: String? = nil,
                amountExact: String? = nil) {
        self.meter = meter
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.amount = amount
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.amountExact = amountExact
    }
}
