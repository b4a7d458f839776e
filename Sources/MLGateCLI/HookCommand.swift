import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import MLGateCore
import MLGateGit
import MLGateStore

/// `mlgate hook <event>`: the work of one git hook, called by the scripts `mlgate hooks install` writes.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Do one git hook's work (the installed hook scripts call this; you rarely need to).",
        discussion: """
            post-commit, post-merge and post-rewrite append one line to the lineage journal in \
            .mlgate/ and exit 0 whatever happens: a failure goes to .mlgate/log, never in git's way. \
            During a rebase post-commit does nothing; post-rewrite records the result.
            """
    )

    @Argument(help: "The git hook: post-commit, post-merge or post-rewrite.")
    var event: String

    @Argument(parsing: .captureForPassthrough, help: "The arguments git passed to the hook.")
    var gitArguments: [String] = []

    func run() throws {
        guard let hook = HookEvent(rawValue: event) else {
            throw UsageError("unknown hook event '\(event)'; mlgate handles \(HookEvent.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        HookRunner(event: hook, arguments: gitArguments).run()
    }
}

/// Records one hook event in the journal. Never throws and never blocks git: errors go to `.mlgate/log`,
/// or as one line on stderr when even the log cannot be written.
///
/// This is the hot path (it runs for every commit), so it avoids what costs milliseconds: the argument
/// parser (`MLGateCommand.run` calls it directly), Foundation's encoders, and libgit2, whose start-up
/// parses the CA bundle. HEAD is read from git's own files; libgit2 is the fallback for anything unusual.
struct HookRunner {
    let event: HookEvent
    let arguments: [String]

    func run() {
        if let flag = getenv("MLGATE_HOOKS"), String(cString: flag) == "0" { return }
        let here = Self.currentDirectory()
        let files = HeadFiles(environment: getenv("GIT_DIR").map { String(cString: $0) }, workingDirectory: here)
        // Each commit a rebase replays fires post-commit; post-rewrite records them all at the end.
        if event == .postCommit, files?.rebaseInProgress == true { return }
        var layout: StoreLayout?
        do {
            let head: Head
            if let files, let root = files.mainWorktreeRoot, let found = files.head() {
                layout = StoreLayout(repositoryRoot: root)
                head = found
            } else {
                let repository = try GitRepository.open(at: here)
                layout = StoreLayout(repositoryRoot: try repository.mainWorktreeRoot())
                head = try repository.head()
            }
            guard let layout, let entry = journalEntry(head: head, files: files) else { return }
            try layout.create()
            try LineageJournal(path: layout.journal).append(entry)
        } catch {
            let message = "\(event.rawValue): \(error)"
            if layout.map({ HookLog(path: $0.log).append(message) }) != true {
                printError("mlgate: \(message) (lineage not recorded; 'mlgate lineage sync' will backfill it)")
            }
        }
    }

    private func journalEntry(head: Head, files: HeadFiles?) -> JournalEntry? {
        let now = Int64(time(nil))
        switch event {
        case .postCommit, .postMerge:
            guard let commit = head.commit else { return nil }
            return JournalEntry(event: event == .postCommit ? .commit : .merge, commits: [commit], branch: head.branchName, at: now)
        case .postRewrite:
            let kind: RewriteKind = arguments.first == "rebase" ? .rebase : .amend
            let rewrites = Rewrite.parse(postRewriteInput: Self.standardInput(), kind: kind)
            guard !rewrites.isEmpty else { return nil }
            var seen = Set<CommitID>()
            let commits = rewrites.map(\.new).filter { seen.insert($0).inserted }
            let branch = head.branchName ?? files?.rebasedBranch
            return JournalEntry(event: kind == .rebase ? .rebase : .amend, commits: commits, rewrites: rewrites, branch: branch, at: now)
        }
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(cString: buffer)
    }

    private static func standardInput() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(0, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
