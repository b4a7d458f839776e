import MLGateWorkspace
import Foundation
import MLGateSystem
import MLGateHooks
#if canImport(Glibc)
import Glibc
#endif

/// Where a run's progress and its commands' output go: the reporter (tagged with the stage, styled when the
/// reporter takes styles) and the run's log file.
package final class RunConsole {
    private var log: Int32 = -1
    /// The log file, while open.
    private(set) var logPath: String?
    private let reporter: any Reporter
    private let colour: Bool
    private let quiet: Bool

    /// A console; `quiet` keeps commands' output from the reporter (it still goes to the log).
    init(reporter: any Reporter, quiet: Bool = false) {
        self.reporter = reporter
        colour = reporter.styles
        self.quiet = quiet
    }

    /// Starts writing everything to `path` as well.
    func openLog(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileAccess.createDirectory(directory)
        log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw FileError("create", path) }
        logPath = path
    }

    /// Stops writing the log and returns its path.
    func closeLog() -> String? {
        if log >= 0 { close(log) }
        log = -1
        defer { logPath = nil }
        return logPath
    }

    /// A progress line (`▶ [1/3] train: python3 train.py`).
    func status(_ text: String, style: Style = .plain) {
        emit(text, styled: colour ? style.wrap(text) : text, toTerminal: true)
    }

    /// One line a stage's command printed.
    func output(stage: String, _ line: String) {
        let tag = "[\(stage)] "
        emit(tag + line, styled: (colour ? Style.dim.wrap(tag) : tag) + line, toTerminal: !quiet)
    }

    private func emit(_ plain: String, styled: String, toTerminal: Bool) {
        if toTerminal { reporter.progress(styled) }
        if log >= 0 { _ = Files.writeAll(log, Array((plain + "\n").utf8)) }
    }

    /// Terminal styles for progress lines.
    enum Style {
        case plain, bold, dim, good, bad

        func wrap(_ text: String) -> String {
            switch self {
            case .plain: text
            case .bold: "\u{1B}[1m\(text)\u{1B}[0m"
            case .dim: "\u{1B}[2m\(text)\u{1B}[0m"
            case .good: "\u{1B}[32m\(text)\u{1B}[0m"
            case .bad: "\u{1B}[31m\(text)\u{1B}[0m"
            }
        }
    }
}
