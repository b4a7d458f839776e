import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateCore
import MLGateSystem
import MLGateWorkspace

/// How commands print: `--json` documents on stdout, tables for people, nothing else on stdout.
enum Output {
    /// Prints `value` as pretty, key-sorted JSON (the documented `--json` shapes).
    static func json(_ value: some Encodable) throws {
        print(try jsonText(value))
    }

    /// `value` as pretty, key-sorted JSON text.
    static func jsonText(_ value: some Encodable) throws -> String { try JSONDocument.text(value) }

    /// Prints rows as left-aligned columns separated by two spaces; the last column is not padded.
    /// A byte count for people: `812 B`, `4.2 KiB`, `37.9 MiB`, `1.3 GiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func table(_ rows: [[String]]) {
        guard let width = rows.map(\.count).max(), width > 0 else { return }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() where index < width - 1 { widths[index] = max(widths[index], cell.count) }
        }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// ISO 8601 with the given offset from UTC, as git shows dates (`2026-11-25T15:49:12+01:00`).
    static func timestamp(_ seconds: Int64, offsetMinutes: Int = 0) -> String {
        Timestamp.iso8601(seconds, offsetMinutes: offsetMinutes)
    }

    /// `2026-11-25 15:49` in the signer's own offset, for tables.
    static func shortDate(_ seconds: Int64, offsetMinutes: Int) -> String {
        let full = timestamp(seconds, offsetMinutes: offsetMinutes)
        return String(full.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}

/// The terminal as the services' reporter: progress and warnings on standard error (nothing on stdout, which
/// `--json` and tables own), styled when standard error is a terminal and `NO_COLOR` is unset.
struct TerminalReporter: Reporter {
    let styles: Bool

    /// The reporter for this process's standard error.
    init() { styles = isatty(2) == 1 && ProcessEnvironment.value("NO_COLOR") == nil }

    func progress(_ line: String) { printError(line) }
    func warning(_ line: String) { printError("warning: " + line) }
    func output(_ line: String) { print(line) }
}

extension Workspace {
    /// The worktree containing the current directory, reporting to the terminal.
    static func current() throws -> Workspace { try current(reporter: TerminalReporter()) }
}
