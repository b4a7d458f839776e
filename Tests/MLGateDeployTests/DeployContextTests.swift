import Foundation
import MLGateCore
@testable import MLGateDeploy
import MLGateRegistry
import MLGateServiceTestSupport
import Testing
import MLGateStore

@Suite("MLGateDeploy: directory and command targets, in process")
struct DeployContextTests {
    static let configuration = """
        version: 1
        models:
          m: {artifact: model.bin}
        deploy:
          prod: {type: directory, path: served, model: m@champion}
          hook: {type: command, cmd: 'echo "$MLGATE_MODEL_VERSION" > deployed.txt'}
          failing: {type: command, cmd: 'exit 4'}
        """

    func registered(_ fixture: ServiceFixture) throws -> (RegistryContext, [ModelVersion]) {
        let registry = RegistryContext(workspace: fixture.workspace, store: try fixture.store())
        var versions: [ModelVersion] = []
        for weights in ["weights a", "weights b"] {
            try fixture.write("model.bin", weights)
            versions.append(try registry.store.register(model: "m", try registry.versionFromPath(fixture.root + "/model.bin"), by: registry.actor(reason: nil)))
        }
        return (registry, versions)
    }

    @Test("a directory target publishes the version under versions/ and switches current to it; rollback switches back")
    func directoryTarget() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration)
        defer { fixture.remove() }
        let (registry, versions) = try registered(fixture)
        let target = try DeployContext(target: "prod", registry: registry)
        try target.deploy(versions[0], rollback: false, forced: true, reason: "first")
        try target.deploy(versions[1], rollback: false, forced: true, reason: "second")
        let served = fixture.root + "/served"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: served + "/current") == "versions/m-v2")
        #expect(try String(contentsOfFile: served + "/current/model.bin", encoding: .utf8) == "weights b")
        try target.deploy(versions[0], rollback: true, reason: "bad")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: served + "/current") == "versions/m-v1")
        let records = try registry.store.deployments(target: "prod")
        #expect(records.count == 3)
    }

    @Test("a target that follows an alias refuses another version unless forced; an unknown target is refused by name")
    func follows() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration)
        defer { fixture.remove() }
        let (registry, versions) = try registered(fixture)
        let target = try DeployContext(target: "prod", registry: registry)
        #expect(throws: RegistryError.self) { _ = try target.checkFollows(versions[1], force: false) }
        #expect(try target.checkFollows(versions[1], force: true))
        do {
            _ = try DeployContext(target: "staging", registry: registry)
            Issue.record("an undeclared target was accepted")
        } catch {
            #expect("\(error)".contains("prod"))
        }
    }

    @Test("a command target runs with the version in its environment; a failing one is recorded as failed")
    func commandTarget() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration)
        defer { fixture.remove() }
        let (registry, versions) = try registered(fixture)
        try DeployContext(target: "hook", registry: registry).deploy(versions[1], rollback: false, reason: nil)
        #expect(try String(contentsOfFile: fixture.root + "/deployed.txt", encoding: .utf8) == "2\n")
        #expect(throws: (any Error).self) { try DeployContext(target: "failing", registry: registry).deploy(versions[1], rollback: false, reason: nil) }
        #expect(try registry.store.deployments(target: "failing").count == 1)
    }
}
