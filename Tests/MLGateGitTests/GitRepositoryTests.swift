import Foundation
import MLGateCore
import MLGateGit
import MLGateTestSupport
import Testing

@Suite("libgit2 adapter")
struct GitRepositoryTests {
    @Test("not a repository: a typed error with a hint")
    func notARepository() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect {
            try GitRepository.open(at: directory)
        } throws: { error in
            guard let error = error as? GitError, case .notARepository = error.reason else { return false }
            return error.category == .invalidInput && error.function == "git_repository_open_ext" && error.code == -3
        }
    }

    @Test("unborn, branch and detached HEAD")
    func heads() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        #expect(try GitRepository.open(at: fixture.root).head() == .unborn(branch: "main"))
        let first = try fixture.commit("first")
        #expect(try GitRepository.open(at: fixture.root).head() == .branch(name: "main", commit: CommitID(hex: first)!))
        try fixture.git(["checkout", "-q", "--detach"])
        #expect(try GitRepository.open(at: fixture.root).head() == .detached(CommitID(hex: first)!))
    }

    @Test("commit facts, touched projects, revisions and branches")
    func facts() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let root = try fixture.commit("root", file: "models/a/x")
        let second = try fixture.commit("second line one", file: "models/b/y")
        let repository = try GitRepository.open(at: fixture.root + "/models")
        let projects = [ProjectSpec(name: "a", path: "models/a"), ProjectSpec(name: "b", path: "models/b")]
        let facts = try #require(try repository.commitFacts(CommitID(hex: second)!, projects: projects))
        #expect(facts.parents == [CommitID(hex: root)!])
        #expect(facts.projects == ["b"])
        #expect(facts.author.name == "Ada Lovelace")
        #expect(try repository.commitFacts(CommitID(hex: root)!, projects: projects)?.projects == ["a"])
        #expect(try repository.resolve("HEAD~1") == CommitID(hex: root)!)
        #expect(try repository.localBranches().map(\.name) == ["main"])
        #expect(try repository.commitFacts(CommitID(hex: String(repeating: "1", count: 40))!) == nil)
        #expect(throws: GitError.self) { try repository.resolve("no-such-branch") }
    }

    @Test("linked worktrees find the main worktree's root; core.hooksPath decides the hooks directory")
    func layout() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit("first")
        let worktree = fixture.base + "/linked"
        try fixture.git(["worktree", "add", "-q", "-b", "side", worktree])
        let linked = try GitRepository.open(at: worktree)
        #expect(linked.isLinkedWorktree)
        let mainRoot = URL(fileURLWithPath: fixture.root).resolvingSymlinksInPath().path
        #expect(URL(fileURLWithPath: try linked.mainWorktreeRoot()).resolvingSymlinksInPath().path == mainRoot)
        #expect(try linked.hooksDirectory().hasSuffix("/.git/hooks"))
        try fixture.git(["config", "core.hooksPath", ".githooks"])
        #expect(try GitRepository.open(at: worktree).hooksDirectory().hasSuffix("/linked/.githooks"))
    }
}
