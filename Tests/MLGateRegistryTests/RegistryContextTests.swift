import Foundation
import MLGateCore
@testable import MLGateRegistry
import MLGateServiceTestSupport
import MLGateStore
import MLGateTestSupport
import Testing

@Suite("MLGateRegistry: registration, lifecycle and the git mirror, in process")
struct RegistryContextTests {
    static let configuration = """
        version: 1
        models:
          churn:
            artifact: model.bin
            lifecycle:
              stages: [staging, production]
              production: {requires: {approvals: 1}}
        """

    func registry(_ fixture: ServiceFixture) throws -> RegistryContext {
        RegistryContext(workspace: fixture.workspace, store: try fixture.store())
    }

    @Test("a file registers as version 1 then 2, linked to HEAD; publishing writes the GTO tags to git")
    func registerAndPublish() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: ["model.bin": "weights a"])
        defer { fixture.remove() }
        let registry = try registry(fixture)
        let first = try registry.store.register(model: "churn", try registry.versionFromPath(fixture.root + "/model.bin"), by: registry.actor(reason: "first"))
        try fixture.write("model.bin", "weights b")
        let second = try registry.store.register(model: "churn", try registry.versionFromPath(fixture.root + "/model.bin"), by: registry.actor(reason: nil))
        #expect(first.version == 1 && second.version == 2)
        #expect(first.commit == (try fixture.git.head()))
        #expect(first.artifact != second.artifact)
        #expect(first.artifact == ContentHash.of(Array("weights a".utf8)))
        registry.publish()
        let tags = try fixture.git.git(["tag", "--list"]).stdout.split(separator: "\n").map(String.init)
        #expect(tags.contains("churn@v1.0.0") && tags.contains("churn@v2.0.0"), "\(tags) \(fixture.reporter.recorded)")
    }

    @Test("the lifecycle is enforced: staging first, production needs an approval; a forced move is recorded")
    func lifecycle() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: ["model.bin": "weights a"])
        defer { fixture.remove() }
        let registry = try registry(fixture)
        let version = try registry.store.register(model: "churn", try registry.versionFromPath(fixture.root + "/model.bin"), by: registry.actor(reason: nil))
        do {
            try registry.promote("churn", version: version.version, to: "production", force: false, reason: "skip staging")
            Issue.record("a version went to production without its approval")
        } catch let refused as PromotionRefused {
            #expect(!refused.missing.isEmpty)
        }
        #expect(try registry.store.version(model: "churn", inStage: "production") == nil)
        #expect(try registry.promote("churn", version: version.version, to: "staging", force: false, reason: "ok") == nil)
        #expect(try registry.store.version(model: "churn", inStage: "staging")?.version == version.version)
        #expect(try registry.promote("churn", version: version.version, to: "production", force: true, reason: "hotfix") == "staging")
        #expect(try registry.store.version(model: "churn", inStage: "production")?.version == version.version)
    }

    @Test("paths outside the repository, the repository itself and .git are refused as artifacts")
    func artifactRules() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: ["model.bin": "weights a"])
        defer { fixture.remove() }
        let registry = try registry(fixture)
        let outside = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "x".write(toFile: outside + "/model.bin", atomically: true, encoding: .utf8)
        for path in [outside + "/model.bin", fixture.root, fixture.root + "/.git/HEAD", fixture.root + "/missing.bin"] {
            #expect(throws: UsageError.self) { _ = try registry.versionFromPath(path) }
        }
        #expect(try registry.store.versions(model: "churn").isEmpty)
    }
}
