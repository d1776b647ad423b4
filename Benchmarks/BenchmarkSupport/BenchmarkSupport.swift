import Foundation

/// Writes a line to standard output at once (`print` is block-buffered into a pipe).
public func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The value at fraction `p` of an ascending array; NaN when empty.
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Seconds since `start`, as a `Double`.
public func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start) / .seconds(1)
}
