#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Record bytes (header values read in place, keys, payloads) compared with strings: one
/// `memcmp` against the string's own UTF-8 storage, not a walk over `String.UTF8View` (which the
/// hot paths did for every record: about 2 % of inference's CPU). The one place this library and
/// its consumers compare bytes with text.
extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `text`'s UTF-8.
    public func isUTF8(of text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            utf8.count == count && (count == 0 || memcmp(baseAddress!, utf8.baseAddress!, count) == 0)
        } ?? elementsEqual(text.utf8)
    }

    /// Whether these bytes begin with `text`'s UTF-8.
    public func hasUTF8Prefix(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            utf8.count <= count && (utf8.isEmpty || memcmp(baseAddress!, utf8.baseAddress!, utf8.count) == 0)
        } ?? starts(with: text.utf8)
    }
}
