import Foundation
package import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateHooks
import MLGateStore

/// The user's approvals of pipeline commands, kept outside every repository (`$XDG_CONFIG_HOME/mlgate/trusted`,
/// else `~/.config/mlgate/trusted`), one line per approval: the hash of the commands, the repository, the time.
///
/// Hooks and the worker run only commands whose hash is approved for that repository, so a pulled or pushed
/// change to a command — or a repository that claims to trust itself — cannot run code unasked (direnv's rule).
package struct TrustStore {
    /// The file.
    let path: String

    /// The current user's trust file.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        path = base + "/mlgate/trusted"
    }

    /// The hash `mlgate trust` approves for `stages`.
    package static func hash(_ stages: [StageSpec]) -> String {
        ContentHash.of(Array(CommandTrust.text(stages).utf8))
    }

    /// Whether `hash` is approved for the repository at `repository`.
    package func isTrusted(_ hash: String, repository: String) -> Bool {
        guard let text = Files.read(path, limit: 1 << 24) else { return false }
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: "\t")
            return fields.count >= 2 && fields[0] == hash && fields[1] == repository
        }
    }

    /// Records an approval.
    package func trust(_ hash: String, repository: String) throws {
        try FileAccess.createDirectory((path as NSString).deletingLastPathComponent, permissions: 0o700)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError("open", path) }
        defer { close(fd) }
        let line = "\(hash)\t\(repository)\t\(Timestamp.iso8601(Int64(Date().timeIntervalSince1970)))\n"
        guard Files.writeAll(fd, Array(line.utf8)) else { throw FileError("append to", path) }
    }
}
