import Synchronization

/// A boolean shared between threads, as a class so closures can capture it.
public final class AtomicFlag: Sendable {
    private let value: Atomic<Bool>

    public init(_ initial: Bool = false) {
        value = Atomic(initial)
    }

    public var isSet: Bool { value.load(ordering: .acquiring) }

    public func set(_ newValue: Bool = true) {
        value.store(newValue, ordering: .releasing)
    }

    /// Sets the flag and returns true only for the first caller that changed it from false.
    public func setOnce() -> Bool {
        value.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
