import IntelliCoreModels

extension SeededGenerator {
    /// The generator of one epoch's shuffle: a function of the run's seed and the epoch only, so
    /// a run resumed from a checkpoint shuffles exactly as the uninterrupted run would have.
    static func epoch(_ epoch: Int, seed: UInt64) -> SeededGenerator {
        var mixer = SeededGenerator(seed: seed ^ (UInt64(epoch) &* 0xD1B5_4A32_D192_ED03))
        return SeededGenerator(seed: mixer.next())
    }
}
