import Foundation
import MLGateCore
import MLGateGit
@testable import MLGateLineage
import MLGateServiceTestSupport
import MLGateStore
import MLGateSystem
@testable import MLGateWorkspace
import Testing
import MLGateTestSupport

@Suite("MLGateLineage: the journal, the walk and the hooks, in process")
struct LineageServiceTests {
    func context(_ fixture: ServiceFixture) throws -> RepositoryContext {
        RepositoryContext(repository: try GitRepository.open(at: fixture.root), worktreeRoot: fixture.root,
                          layout: StoreLayout(repositoryRoot: fixture.root))
    }

    @Test("reconciling backfills every commit on the branch, newest first, and a second pass adds nothing")
    func backfill() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n")
        defer { fixture.remove() }
        let second = try fixture.git.commit("second")
        let third = try fixture.git.commit("third")
        let lineage = try context(fixture).lineage()
        let summary = try lineage.reconcile()
        #expect(summary.backfilled == 3)
        let entries = try lineage.list(LineageQuery(limit: 2))
        #expect(entries.map(\.commit.facts.id.hex) == [third, second])
        #expect(try lineage.show(second).commit.facts.subject == "second")
        #expect(try lineage.reconcile().backfilled == 0)
    }

    @Test("hooks install into .git/hooks, report installed, and uninstall leaves nothing of mlgate")
    func hooks() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n")
        defer { fixture.remove() }
        let installer = HookInstaller(repository: try GitRepository.open(at: fixture.root), worktreeRoot: fixture.root, binary: "/usr/local/bin/mlgate-hook")
        let installed = try installer.install([.postCommit, .postMerge])
        #expect(installed.map(\.action) == [.installed, .installed])
        let hook = try String(contentsOfFile: fixture.root + "/.git/hooks/post-commit", encoding: .utf8)
        #expect(hook.contains("/usr/local/bin/mlgate-hook"))
        #expect(try installer.status([.postCommit, .postMerge, .prePush]).map(\.state) == ["installed", "installed", "missing"])
        #expect(try installer.install([.postCommit]).map(\.action) == [.unchanged])
        _ = try installer.uninstall([.postCommit, .postMerge])
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.git/hooks/post-commit"))
    }
}
