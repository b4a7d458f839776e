import Foundation
import MLGateTestSupport
import Testing

/// A folder outside the repository holding a file, to check that nothing reaches it.
private func outsideFolder(_ fixture: GitFixture) throws -> String {
    let outside = fixture.base + "/outside"
    try FileManager.default.createDirectory(atPath: outside + "/victim", withIntermediateDirectories: true)
    try "precious\n".write(toFile: outside + "/victim/important.txt", atomically: true, encoding: .utf8)
    return outside
}

@Suite("filesystem safety: nothing outside the repository through a link, nothing mlgate did not write")
struct FilesystemSafetyTests {
    @Test("a declared output under a symlinked folder: mlgate run deletes nothing outside, and the run cache restores nothing there")
    func symlinkedOutputParent() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: 'mkdir -p linkdir/victim && echo weights > linkdir/victim/model.txt', deps: [params.yaml], outs: [linkdir/victim/]}
            """, files: ["params.yaml": "lr: 1\n"])
        defer { fixture.remove() }
        let outside = try outsideFolder(fixture)
        #expect(try fixture.mlgate(["run"]).status == 0)  // linkdir is a real folder: fine, and cached

        // In a fork's pull request the links are the fork's: linkdir now leads outside.
        try FileManager.default.removeItem(atPath: fixture.root + "/linkdir")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/linkdir", withDestinationPath: outside)
        let outsideBefore = try snapshot(of: outside)
        let treeBefore = try snapshot(of: fixture.root)
        let runsBefore = try runs(fixture).count
        for arguments in [["run"], ["run", "--force"]] {
            let refused = try fixture.mlgate(arguments)
            #expect(refused.status == 2 && refused.stderr.contains("symbolic link 'linkdir'") && refused.stderr.contains("stage 'train'"), "\(refused)")
            #expect(try snapshot(of: outside) == outsideBefore, "files outside the repository changed")
            #expect(try snapshot(of: fixture.root) == treeBefore)
        }
        // A changed input would run the stage (and so delete its outputs first): refused the same way.
        try fixture.write("params.yaml", "lr: 2\n")
        #expect(try fixture.mlgate(["run"]).status == 2)
        // And back to the cached inputs, the run cache would restore into the outside folder: refused.
        try fixture.write("params.yaml", "lr: 1\n")
        #expect(try fixture.mlgate(["run"]).status == 2)
        #expect(try snapshot(of: outside) == outsideBefore)
        #expect(try runs(fixture).count == runsBefore)
    }

    @Test("a dependency through a link out of the repository, or a link inside a dependency folder, is read from nowhere")
    func symlinkedDependencies() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: 'cat data/victim/important.txt > model.bin', deps: [data/], outs: [model.bin]}
            """, files: ["params.yaml": "lr: 1\n"])
        defer { fixture.remove() }
        let outside = try outsideFolder(fixture)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data", withDestinationPath: outside)
        let refused = try fixture.mlgate(["run"])
        #expect(refused.status == 2 && refused.stderr.contains("dependency 'data/'"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/model.bin"))
        // A real folder with a link inside it that leads out.
        try FileManager.default.removeItem(atPath: fixture.root + "/data")
        try FileManager.default.createDirectory(atPath: fixture.root + "/data", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data/victim", withDestinationPath: outside + "/victim")
        let inside = try fixture.mlgate(["run"])
        #expect(inside.status == 2 && inside.stderr.contains("outside the repository"), "\(inside)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/model.bin"))
        // A link that stays inside the repository is fine.
        try FileManager.default.removeItem(atPath: fixture.root + "/data/victim")
        try FileManager.default.createDirectory(atPath: fixture.root + "/real/victim", withIntermediateDirectories: true)
        try fixture.write("real/victim/important.txt", "inside\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data/victim", withDestinationPath: "../real/victim")
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(fixture.read("model.bin") == "inside\n")
    }
}
