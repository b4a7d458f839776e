import Foundation
import MLGateSystem
import MLGateStore
import MLGateTestSupport
import Testing

@Suite("object store")
struct ObjectStoreTests {
    func temporaryStore() throws -> (ObjectStore, String) {
        let directory = try GitFixture.makeTemporaryDirectory()
        return (ObjectStore(root: directory + "/objects"), directory)
    }

    @Test("objects are named by their SHA-256, stored once, and read back checked")
    func putAndRead() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hash = try store.put(bytes: Array("abc".utf8))
        #expect(hash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try store.put(bytes: Array("abc".utf8)) == hash)
        #expect(store.allObjects() == [hash])
        #expect(try store.bytes(hash) == Array("abc".utf8))
        #expect(store.damage(hash) == nil)
        // No temp file is left behind by a successful write.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp").isEmpty)
    }

    @Test("a reference that is not a content hash opens no file; a manifest that leaves its folder writes nothing")
    func forgedReferences() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secret = directory + "/secret.txt"
        try "secret".write(toFile: secret, atomically: true, encoding: .utf8)
        let target = directory + "/out"
        for forged in ["../secret.txt", "../../" + secret, String(repeating: "A", count: 64), ""] {
            #expect(throws: ObjectStoreError.malformedHash(forged)) { try store.checkout(forged, to: target) }
            #expect(throws: ObjectStoreError.malformedHash(forged)) { try store.bytes(forged) }
            #expect(!store.contains(forged) && store.size(of: forged) == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        // A manifest (its hash is right: it is content-addressed) naming a file outside its folder.
        let inner = try store.put(bytes: Array("x".utf8))
        for path in ["../escaped.txt", "/tmp/escaped.txt", "a/../../escaped.txt", "./a"] {
            let manifest = try store.put(bytes: Array("mlgate-tree 1\n\(inner) 1 644 \"\(path)\"\n".utf8))
            #expect(throws: ObjectStoreError.unsafeManifest(hash: manifest, entry: path)) { try store.checkout(manifest, to: target) }
        }
        #expect(!FileManager.default.fileExists(atPath: target) && !FileManager.default.fileExists(atPath: directory + "/escaped.txt"))
    }

    @Test("a flipped byte is caught on read, by checkout and by damage()")
    func corruption() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hash = try store.put(bytes: Array(repeating: 7, count: 100_000))
        let path = store.path(of: hash)
        chmod(path, 0o644)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 5_000)
        try handle.write(contentsOf: Data([8]))
        try handle.close()
        #expect(store.damage(hash) != nil)
        #expect(throws: ObjectStoreError.self) { try store.bytes(hash) }
        let target = directory + "/restored.bin"
        #expect(throws: ObjectStoreError.self) { try store.checkout(hash, to: target) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("a directory is stored as a manifest and checked out whole, replacing what was there")
    func directories() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = directory + "/model"
        try FileManager.default.createDirectory(atPath: model + "/sub", withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: model + "/w.bin"))
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: model + "/sub/run.sh"))
        chmod(model + "/sub/run.sh", 0o755)
        let hash = try store.put(directory: model)
        let tree = try #require(try store.tree(hash))
        #expect(tree.entries.map(\.path) == ["sub/run.sh", "w.bin"])
        #expect(tree.entries.map(\.executable) == [true, false])
        // Same files, same hash.
        #expect(try store.put(directory: model) == hash)

        try Data("stale".utf8).write(to: URL(fileURLWithPath: model + "/extra.txt"))
        try store.checkout(hash, to: model)
        #expect(try FileManager.default.contentsOfDirectory(atPath: model).sorted() == ["sub", "w.bin"])
        #expect(FileManager.default.isExecutableFile(atPath: model + "/sub/run.sh"))
        #expect(try store.put(directory: model) == hash)
        #expect(try store.tree(try store.put(bytes: Array("plain".utf8))) == nil)
    }

    @Test("temp files of dead writers are swept; a live writer's are kept")
    func sweep() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.prepare()
        let dead = store.root + "/tmp/999999999-1"
        let live = store.root + "/tmp/\(getpid())-2"
        FileManager.default.createFile(atPath: dead, contents: Data("torn".utf8))
        FileManager.default.createFile(atPath: live, contents: Data("in progress".utf8))
        #expect(try store.prepare() == 1)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    @Test("copying to another store checks the hash on the way")
    func copy() throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let remote = ObjectStore(root: directory + "/remote")
        let hash = try store.put(bytes: Array("model".utf8))
        try store.copy(hash, to: remote)
        #expect(remote.allObjects() == [hash])
        let other = try store.put(bytes: Array("other".utf8))
        chmod(store.path(of: other), 0o644)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: store.path(of: other)))
        #expect(throws: ObjectStoreError.self) { try store.copy(other, to: remote) }
        #expect(remote.allObjects() == [hash])
    }
}
