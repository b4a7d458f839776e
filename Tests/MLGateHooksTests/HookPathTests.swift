import Foundation
import MLGateCore
import MLGateSystem
import MLGateHooks
import MLGateTestSupport
import Testing

@Suite("hook path: journal, HEAD from git's files, timestamps")
struct HookPathTests {
    @Test("the journal keeps every line from concurrent appenders and empties only after a successful drain")
    func journal() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = LineageJournal(path: directory + "/journal")
        let id = CommitID(hex: String(repeating: "a", count: 40))!
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in 0..<50 {
                try? journal.append(JournalEntry(event: .commit, commits: [id], branch: "w\(worker)-\(index)", at: 1))
            }
        }
        struct Refused: Error {}
        #expect(throws: Refused.self) { try journal.drain { _ in throw Refused() } }
        let lines = try journal.drain { $0 }
        let decoded = try lines.map { try JSONDecoder().decode(JournalEntry.self, from: Data($0.utf8)) }
        #expect(Set(decoded.compactMap(\.branch)).count == 400)
        #expect(try journal.drain { $0 }.isEmpty)
    }

    @Test("hand-written journal lines decode back to the same entries, whatever the branch name holds")
    func jsonLineRoundTrip() throws {
        let a = CommitID(hex: String(repeating: "a", count: 40))!, b = CommitID(hex: String(repeating: "b", count: 40))!
        for branch in [nil, "main", "feature/\"quoted\"\\back", "tab\there", "ünïcødé", "\u{1}control"] as [String?] {
            let entry = JournalEntry(event: .rebase, commits: [b], rewrites: [Rewrite(old: a, new: b, kind: .rebase)], branch: branch, at: 1_795_622_670)
            #expect(try JSONDecoder().decode(JournalEntry.self, from: Data(entry.jsonLine.utf8)) == entry)
        }
    }

    @Test("HEAD from the files: branch, detached, unborn, packed refs, linked worktree; reftable asks libgit2")
    func headFiles() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let files = try #require(HeadFiles(environment: nil, workingDirectory: fixture.root))
        #expect(files.head() == .unborn(branch: "main"))
        let first = try fixture.commit("first")
        #expect(files.head() == .branch(name: "main", commit: CommitID(hex: first)!))
        try fixture.git(["pack-refs", "--all"])
        #expect(files.head() == .branch(name: "main", commit: CommitID(hex: first)!))
        #expect(files.mainWorktreeRoot == fixture.root)
        try fixture.git(["worktree", "add", "-q", "-b", "side", fixture.base + "/side"])
        let linked = try #require(HeadFiles(environment: nil, workingDirectory: fixture.base + "/side"))
        #expect(linked.head() == .branch(name: "side", commit: CommitID(hex: first)!))
        #expect(linked.mainWorktreeRoot == fixture.root)
        try fixture.git(["checkout", "-q", "--detach"])
        #expect(files.head() == .detached(CommitID(hex: first)!))
        try FileManager.default.createDirectory(atPath: fixture.root + "/.git/reftable", withIntermediateDirectories: true)
        #expect(files.head() == nil)
    }

    @Test("ISO 8601 timestamps in any offset, across leap years and before 1970")
    func timestamps() {
        #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.iso8601(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(Timestamp.iso8601(1_795_622_670, offsetMinutes: 90) == "2026-11-25T17:34:30+01:30")
        #expect(Timestamp.iso8601(-1, offsetMinutes: -300) == "1969-12-31T18:59:59-05:00")
    }
}
