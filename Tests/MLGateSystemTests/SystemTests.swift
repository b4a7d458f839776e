import Foundation
import MLGateSystem
import MLGateTestSupport
import Testing

@Suite("MLGateSystem: files, locks and confined paths")
struct SystemTests {
    @Test("a path inside the root passes; one through a link out of it, into .git or to nothing is refused, naming the link")
    func confinedPaths() throws {
        let root = try GitFixture.makeTemporaryDirectory()
        let outside = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root); try? FileManager.default.removeItem(atPath: outside) }
        try Files.makeDirectories(root + "/data/raw")
        try Files.makeDirectories(root + "/.git")
        try ConfinedPath.check("data/raw/file.csv", under: root, what: "a dependency")
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: root + "/hidden", withDestinationPath: root + "/.git")
        try FileManager.default.createSymbolicLink(atPath: root + "/gone", withDestinationPath: root + "/nothing-here")
        for link in ["out", "hidden", "gone"] {
            #expect(throws: PathEscapeError.self) { try ConfinedPath.check(link + "/model.bin", under: root, what: "an output") }
            do { try ConfinedPath.check(link + "/model.bin", under: root, what: "an output") } catch {
                #expect(error.description.contains(link))
            }
        }
        #expect(!ConfinedPath.isInside(outside, root))
        #expect(ConfinedPath.isInside(root + "/data", root))
    }

    @Test("an exclusive file lock keeps a second exclusive lock out until it is released")
    func exclusiveLock() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/lock"
        var first: FileLock? = try FileLock(path: path, operation: LOCK_EX | LOCK_NB)
        #expect(first != nil)
        #expect(throws: FileError.self) { _ = try FileLock(path: path, operation: LOCK_EX | LOCK_NB) }
        first = nil
        #expect(try FileLock(path: path, operation: LOCK_EX | LOCK_NB) != nil)
    }

    @Test("the store's folder is created once, ignoring itself")
    func layout() throws {
        let root = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = StoreLayout(repositoryRoot: root)
        #expect(!layout.exists)
        #expect(try layout.create())
        #expect(try !layout.create())
        #expect(Files.read(layout.directory + "/.gitignore")?.contains("*\n") == true)
        #expect(layout.database == root + "/.mlgate/store.sqlite")
    }
}
