import Foundation
package import MLGateCore
import MLGateWorkspace
package import MLGateGit
#if canImport(Glibc)
import Glibc
#endif

/// Where mlgate plugs into one hook, and how things stand there.
package struct HookReport: Encodable {
    /// The git hook.
    package let event: String
    /// installed | chained | pre-commit | husky | lefthook | missing | foreign | not-executable | bypassed
    package let state: String
    /// The file that runs mlgate for this hook (or would).
    package let path: String
    /// The hook mlgate runs first, when it chained one.
    let chained: JSONNullable<String>
}

/// What `install` or `uninstall` did to one hook; the raw values are the stable `--json` codes.
package enum HookAction: String, Encodable {
    case installed, updated, unchanged, chained
    case addedBlock = "added-block"
    case removed, restored
    case removedBlock = "removed-block"
    case notInstalled = "not-installed"

    /// The words a person reads.
    package var sentence: String {
        switch self {
        case .installed: "installed"
        case .updated: "updated to this version's script"
        case .unchanged: "already installed, unchanged"
        case .chained: "installed; the existing hook now runs first, from <hook>.mlgate-prev"
        case .addedBlock: "added mlgate's lines"
        case .removed: "removed"
        case .restored: "removed; the hook mlgate had chained is back"
        case .removedBlock: "removed mlgate's lines"
        case .notInstalled: "not installed"
        }
    }

    /// Whether a file was written, moved or removed.
    var changesFiles: Bool { self != .unchanged && self != .notInstalled }
}

/// One thing `install` or `uninstall` did (or found already done).
package struct HookChange: Encodable, Equatable {
    package let event: String
    package let action: HookAction
    package let path: String
    /// Whether a file was written, moved or removed.
    package let changed: Bool

    init(event: String, action: HookAction, path: String) {
        self.event = event
        self.action = action
        self.path = path
        changed = action.changesFiles
    }
}

/// Installs, removes and inspects mlgate's hooks without ever clobbering someone else's.
///
/// The hooks directory is resolved like `git rev-parse --git-path hooks` (core.hooksPath, linked
/// worktrees). A foreign hook is moved to `<hook>.mlgate-prev` and run first by mlgate's script; a
/// pre-commit-generated hook gets mlgate as its `<hook>.legacy` (which pre-commit runs first); husky's
/// `.husky/<hook>` and lefthook's `lefthook-local.yml` get a marked block. All of it is read back from
/// the files themselves, so uninstall restores exactly what was there.
package struct HookInstaller {
    let repository: GitRepository
    let worktreeRoot: String
    let binary: String

    /// Creates the value from its fields.
    package init(repository: GitRepository, worktreeRoot: String, binary: String) {
        self.repository = repository
        self.worktreeRoot = worktreeRoot
        self.binary = binary
    }

    /// A hook manager that owns the hooks and that mlgate plugs into instead.
    package enum Manager: String, Encodable {
        case husky, lefthook
    }

    /// The directory git runs hooks from.
    package func hooksDirectory() throws -> String { try repository.hooksDirectory() }

    /// The manager in charge, if any.
    package func manager() throws -> Manager? {
        let hooksPath = try repository.configString("core.hooksPath") ?? ""
        if hooksPath.hasSuffix(".husky/_") || hooksPath.hasSuffix(".husky/_/") || hooksPath == ".husky" { return .husky }
        let lefthookFiles = ["lefthook.yml", ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml", "lefthook.toml", "lefthook.json"]
        if lefthookFiles.contains(where: { FileManager.default.fileExists(atPath: worktreeRoot + "/" + $0) }) { return .lefthook }
        return nil
    }

    private var huskyDirectory: String { worktreeRoot + "/.husky" }
    private var lefthookLocal: String { worktreeRoot + "/lefthook-local.yml" }

    private func block(_ event: HookEvent) -> MarkedBlock {
        MarkedBlock(name: "mlgate \(event.rawValue)", body: HookScript.managedLines(binary: binary, event: event.rawValue))
    }

    private func lefthookBlock(_ event: HookEvent) -> MarkedBlock {
        let stdin = event.readsStandardInput ? "\n      use_stdin: true" : ""
        return MarkedBlock(name: "mlgate \(event.rawValue)", body: """
            \(event.rawValue):
              commands:
                mlgate:
                  run: \(HookScript.shellQuoted(binary)) hook \(event.rawValue) {0}\(stdin)
            """)
    }

    // MARK: Install

    /// A file operation decided before anything is written, so a conflict found for the third hook
    /// leaves the first two untouched.
    private enum Step {
        case write(path: String, text: String, mode: mode_t)
        case move(from: String, to: String)
    }

    /// Installs the hooks for `events`; returns what was done for each.
    package func install(_ events: [HookEvent]) throws -> [HookChange] {
        let manager = try manager()
        let directory = try hooksDirectory()
        var plan: [(HookChange, [Step])] = []
        var pending: [String: String] = [:]  // files several hooks add blocks to (lefthook-local.yml)
        for event in events {
            switch manager {
            case .husky: plan.append(try planBlock(event, file: huskyDirectory + "/" + event.rawValue, block: block(event), mode: 0o755, pending: &pending))
            case .lefthook: plan.append(try planLefthook(event, pending: &pending))
            case nil: plan.append(try planScript(event, directory: directory, pending: &pending))
            }
        }
        for (_, steps) in plan { try apply(steps) }
        return plan.map(\.0)
    }

    private func planScript(_ event: HookEvent, directory: String, pending: inout [String: String]) throws -> (HookChange, [Step]) {
        let script = HookScript.text(binary: binary)
        var path = directory + "/" + event.rawValue
        var existing = read(path)
        if let text = existing, text.contains("File generated by pre-commit") {
            path += ".legacy"  // pre-commit runs <hook>.legacy first, with the same arguments and stdin
            existing = read(path)
        }
        if existing?.contains("LEFTHOOK") == true {
            return try planLefthook(event, pending: &pending)
        }
        let prev = path + ".mlgate-prev"
        guard let existing else {
            return (HookChange(event: event.rawValue, action: .installed, path: path),
                    [.write(path: path, text: script, mode: 0o755)])
        }
        if HookScript.isOurs(existing) {
            let executable = access(path, X_OK) == 0
            if existing == script, executable {
                return (HookChange(event: event.rawValue, action: .unchanged, path: path), [])
            }
            return (HookChange(event: event.rawValue, action: .updated, path: path),
                    [.write(path: path, text: script, mode: 0o755)])
        }
        guard read(prev) == nil, !FileManager.default.fileExists(atPath: prev) else {
            throw UsageError("\(path) is not mlgate's, and \(prev) already exists, so mlgate cannot chain it without losing one of them.\nMove one of them away, then run 'mlgate hooks install' again. Nothing was changed.")
        }
        return (HookChange(event: event.rawValue, action: .chained, path: path),
                [.move(from: path, to: prev), .write(path: path, text: script, mode: 0o755)])
    }

    /// Plans adding `block` to `file`, on top of what earlier hooks of the same run planned for it.
    private func planBlock(_ event: HookEvent, file: String, block: MarkedBlock, mode: mode_t,
                           pending: inout [String: String]) throws -> (HookChange, [Step]) {
        let existing = pending[file] ?? read(file) ?? ""
        if block.isPresent(in: existing) {
            return (HookChange(event: event.rawValue, action: .unchanged, path: file), [])
        }
        let text = block.appended(to: existing)
        pending[file] = text
        return (HookChange(event: event.rawValue, action: .addedBlock, path: file),
                [.write(path: file, text: text, mode: existingMode(file) ?? mode)])
    }

    private func planLefthook(_ event: HookEvent, pending: inout [String: String]) throws -> (HookChange, [Step]) {
        let existing = pending[lefthookLocal] ?? read(lefthookLocal) ?? ""
        let block = lefthookBlock(event)
        if !block.isPresent(in: existing), existing.split(separator: "\n").contains(where: { $0.hasPrefix(event.rawValue + ":") }) {
            throw UsageError("""
                \(lefthookLocal) already configures \(event.rawValue); mlgate will not edit your YAML. Add this command under it, then run 'lefthook install':
                \(block.body)
                Nothing was changed.
                """)
        }
        return try planBlock(event, file: lefthookLocal, block: block, mode: 0o644, pending: &pending)
    }

    private func apply(_ steps: [Step]) throws {
        for step in steps {
            switch step {
            case .write(let path, let text, let mode):
                try AtomicFile.write(text, to: path, mode: mode, createFolders: true)
            case .move(let from, let to):
                guard rename(from, to) == 0 else { throw FileAccessError("move \(from) to", to, errno: errno) }
            }
        }
    }

    // MARK: Uninstall

    /// Removes mlgate from every place it may have plugged into for `events`, restoring what was there.
    package func uninstall(_ events: [HookEvent]) throws -> [HookChange] {
        var changes: [HookChange] = []
        let directories = Array(Set([try hooksDirectory(), repository.commonDirectory + "/hooks"]))
        for event in events {
            var touched = false
            for directory in directories {
                for path in [directory + "/" + event.rawValue, directory + "/" + event.rawValue + ".legacy"] {
                    guard let text = read(path), HookScript.isOurs(text) else { continue }
                    let prev = path + ".mlgate-prev"
                    if FileManager.default.fileExists(atPath: prev) {
                        guard rename(prev, path) == 0 else { throw FileAccessError("restore \(prev) to", path, errno: errno) }
                        changes.append(HookChange(event: event.rawValue, action: .restored, path: path))
                    } else {
                        guard unlink(path) == 0 else { throw FileAccessError("remove", path, errno: errno) }
                        changes.append(HookChange(event: event.rawValue, action: .removed, path: path))
                    }
                    touched = true
                }
            }
            for (file, block) in [(huskyDirectory + "/" + event.rawValue, block(event)), (lefthookLocal, lefthookBlock(event))] {
                guard let text = read(file), let rest = block.removed(from: text) else { continue }
                if rest.isEmpty {
                    guard unlink(file) == 0 else { throw FileAccessError("remove", file, errno: errno) }
                } else {
                    try AtomicFile.write(rest, to: file, mode: existingMode(file) ?? 0o644, createFolders: true)
                }
                changes.append(HookChange(event: event.rawValue, action: .removedBlock, path: file))
                touched = true
            }
            if !touched { changes.append(HookChange(event: event.rawValue, action: .notInstalled, path: "")) }
        }
        return changes
    }

    // MARK: Status

    /// How each hook in `events` stands.
    package func status(_ events: [HookEvent]) throws -> [HookReport] {
        let directory = try hooksDirectory()
        let defaultDirectory = repository.commonDirectory + "/hooks"
        return events.map { event in
            let name = event.rawValue
            let husky = huskyDirectory + "/" + name
            if let text = read(husky), block(event).isPresent(in: text) {
                return HookReport(event: name, state: "husky", path: husky, chained: JSONNullable(nil))
            }
            if let text = read(lefthookLocal), lefthookBlock(event).isPresent(in: text) {
                return HookReport(event: name, state: "lefthook", path: lefthookLocal, chained: JSONNullable(nil))
            }
            for (path, state) in [(directory + "/" + name, "installed"), (directory + "/" + name + ".legacy", "pre-commit")] {
                guard let text = read(path), HookScript.isOurs(text) else { continue }
                if access(path, X_OK) != 0 { return HookReport(event: name, state: "not-executable", path: path, chained: JSONNullable(nil)) }
                let prev = path + ".mlgate-prev"
                let chained = FileManager.default.fileExists(atPath: prev) ? prev : nil
                return HookReport(event: name, state: chained != nil && state == "installed" ? "chained" : state, path: path, chained: JSONNullable(chained))
            }
            let path = directory + "/" + name
            if FileManager.default.fileExists(atPath: path) { return HookReport(event: name, state: "foreign", path: path, chained: JSONNullable(nil)) }
            if directory != defaultDirectory, let text = read(defaultDirectory + "/" + name), HookScript.isOurs(text) {
                return HookReport(event: name, state: "bypassed", path: defaultDirectory + "/" + name, chained: JSONNullable(nil))
            }
            return HookReport(event: name, state: "missing", path: path, chained: JSONNullable(nil))
        }
    }

    // MARK: Files

    private func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private func existingMode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }
}
