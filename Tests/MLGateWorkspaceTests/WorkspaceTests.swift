import Foundation
import MLGateServiceTestSupport
import MLGateWorkspace
import Testing
import MLGateCore
import MLGateTestSupport

@Suite("MLGateWorkspace: the services' base")
struct WorkspaceTests {
    @Test("a workspace reads its mlgate.yaml and opens its store under .mlgate/")
    func configurationAndStore() throws {
        let fixture = try ServiceFixture(configuration: """
            version: 1
            stages:
              train: {cmd: echo hi, outs: [model.bin]}
            """)
        defer { fixture.remove() }
        let workspace = fixture.workspace
        #expect(try workspace.configuration().stages.map(\.name) == ["train"])
        #expect(try workspace.pipeline().stages.count == 1)
        _ = try workspace.openStore()
        #expect(FileManager.default.fileExists(atPath: fixture.root + "/.mlgate/store.sqlite"))
    }

    @Test("a workspace with no stages says how to add them, naming the file")
    func noStages() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n")
        defer { fixture.remove() }
        do {
            _ = try fixture.workspace.pipeline()
            Issue.record("a pipeline without stages was accepted")
        } catch {
            #expect("\(error)".contains("mlgate.yaml declares no stages"))
        }
    }

    @Test("the atomic writer replaces a file whole and leaves no temporary file; a missing folder is an error naming it")
    func atomicWrites() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n")
        defer { fixture.remove() }
        let path = fixture.root + "/report.md"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(try FileAccess.readText(path) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.contains("report") } == ["report.md"])
        do {
            try AtomicFile.write("x", to: fixture.root + "/missing/report.md")
            Issue.record("a write into a missing folder succeeded")
        } catch {
            #expect(error.description.contains("missing"))
        }
        try AtomicFile.write("x", to: fixture.root + "/made/report.md", createFolders: true)
        #expect(try FileAccess.readText(fixture.root + "/made/report.md") == "x")
    }

    @Test("git runs in the workspace through the command line transport")
    func gitCommandLine() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n")
        defer { fixture.remove() }
        let git = GitCommandLine(directory: fixture.root, environment: ProcessInfo.processInfo.environment)
        let head = try git.run(["rev-parse", "HEAD"])
        #expect(head.status == 0)
        #expect(head.output == (try fixture.git.head()))
    }
}
