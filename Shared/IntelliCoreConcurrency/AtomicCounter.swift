import Synchronization

/// An integer shared between threads, as a class so closures can capture it.
public final class AtomicCounter: Sendable {
    private let value: Atomic<Int>

    public init(_ initial: Int = 0) {
        value = Atomic(initial)
    }

    public var current: Int { value.load(ordering: .relaxed) }

    /// Adds one and returns the new value.
    @discardableResult
    public func increment() -> Int {
        value.add(1, ordering: .relaxed).newValue
    }

    @discardableResult
    public func decrement() -> Int {
        value.subtract(1, ordering: .relaxed).newValue
    }
}
