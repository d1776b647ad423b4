import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the CLI writes, and whether it may colour and redraw lines: only on a terminal, and
/// never when `NO_COLOR` is set (https://no-color.org).
enum Terminal {
    static let isInteractive = isatty(STDOUT_FILENO) == 1
    static let colours = isInteractive && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36"
    }

    static func styled(_ text: String, _ styles: Style...) -> String {
        guard colours, !styles.isEmpty else { return text }
        return "\u{1B}[\(styles.map(\.rawValue).joined(separator: ";"))m\(text)\u{1B}[0m"
    }

    /// A line on standard output, unbuffered (progress and demo steps are read live).
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A line on standard error.
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Redraws the current line (a progress bar) on a terminal.
    static func redraw(_ text: String) {
        FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + text).utf8))
    }
}
