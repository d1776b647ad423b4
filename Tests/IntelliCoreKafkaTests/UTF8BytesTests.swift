import IntelliCoreKafka
import Testing

struct UTF8BytesTests {
    /// Against the String comparisons they replace, on equal, shorter, longer, empty and
    /// non-ASCII inputs, read from slices that do not start at 0.
    @Test(arguments: ["", "a", "intellicore.prediction.requested.v1", "application/cloudevents+json", "naïve ✓", String(repeating: "x", count: 300)])
    func agreeWithStringComparison(text: String) {
        let candidates = ["", "a", "intellicore.prediction.requested.v1", "intellicore.prediction.requested.v10", "intellicore.prediction.requested",
                          "application/cloudevents+json; charset=utf-8", "application/cloudevents", "naïve ✓", "naïve", String(repeating: "x", count: 300)]
        for candidate in candidates {
            let padded = [0x7A] + Array(candidate.utf8)
            padded.withUnsafeBytes { all in
                let bytes = UnsafeRawBufferPointer(rebasing: all[1...])
                #expect(bytes.isUTF8(of: text) == (candidate == text), "\(candidate) vs \(text)")
                #expect(bytes.hasUTF8Prefix(text) == candidate.utf8.starts(with: text.utf8), "\(candidate) vs \(text)")
            }
        }
    }

    /// An absent header's empty view has no base address; `memcmp` must not be reached with it.
    @Test func emptyViewsWithoutABaseAddress() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(empty.isUTF8(of: ""))
        #expect(empty.hasUTF8Prefix(""))
        #expect(!empty.isUTF8(of: "a"))
        #expect(!empty.hasUTF8Prefix("a"))
    }
}
