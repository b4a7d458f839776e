import Foundation
@testable import MLGateStore
import MLGateTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The folder fast path (`FolderSnapshot.refresh`) sees every change a full walk would, and gives the same hash.
@Suite("folder snapshots")
struct FolderSnapshotTests {
    /// A tree `data/` with files at two depths, written more than the racy window ago.
    private func tree() throws -> (root: String, data: String) {
        let root = try GitFixture.makeTemporaryDirectory()
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data + "/nested/deeper", withIntermediateDirectories: true)
        for (path, text) in [("a.txt", "alpha\n"), ("nested/b.txt", "bravo\n"), ("nested/deeper/c.txt", "charlie\n")] {
            try text.write(toFile: data + "/" + path, atomically: false, encoding: .utf8)
        }
        usleep(120_000)  // older than the 50 ms racy window when the scan starts
        return (root, data)
    }

    /// The hash a full walk gives today: what `refresh` must agree with.
    private func walkedHash(_ data: String) throws -> String {
        let manifest = try TreeManifest.scan(data) { (path, _) throws(ObjectStoreError) in try ContentHash.file(path).hash }
        return ContentHash.of(Array(manifest.text.utf8))
    }

    /// The hash through the fast path when it applies, else through a new scan (what FileHasher does). On the way, the
    /// in-place check of the encoded snapshot must answer exactly when `refresh` finds nothing changed, with its hash.
    private func currentHash(_ snapshot: FolderSnapshot, _ data: String, root: String) throws -> (hash: String, refreshed: Bool) {
        let inPlace = FolderSnapshot.unchangedHash(encoded: snapshot.encoded, directory: data)
        let now = FolderSnapshot.now()
        let refreshed = try snapshot.refresh(data, now: now)
        #expect(inPlace == (refreshed == snapshot ? snapshot.manifestHash : nil), "the in-place check disagrees with refresh")
        if let refreshed { return (refreshed.manifestHash, true) }
        return (try FolderSnapshot.scan(data, confinedTo: root, previous: snapshot, now: now).manifestHash, false)
    }

    /// Writes `text` over the start of the file without truncating it (an in-place edit).
    private func overwrite(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
    }

    @Test("an unchanged tree is answered without a walk, with the walk's hash, and survives the store")
    func unchanged() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        #expect(snapshot.plain && snapshot.folders.count == 3 && snapshot.folders.allSatisfy(\.trusted))
        #expect(snapshot.manifestHash == (try walkedHash(data)))
        let refreshed = try #require(try snapshot.refresh(data, now: FolderSnapshot.now()))
        #expect(refreshed == snapshot)

        let store = try Store(path: root + "/store.sqlite")
        try store.saveFileStates([:], folders: [data: snapshot])
        #expect(try store.folderSnapshot(data) == snapshot)
        #expect(FolderSnapshot.unchangedHash(encoded: try #require(try store.encodedFolderSnapshot(data)), directory: data) == snapshot.manifestHash)
        #expect(try currentHash(snapshot, data, root: root) == (snapshot.manifestHash, true))
    }

    @Test("a cut or damaged row is a cache miss for both readers, never a crash or a wrong hash")
    func damagedRows() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        let encoded = snapshot.encoded
        #expect(FolderSnapshot(encoded: encoded) == snapshot)
        for length in 0..<encoded.count {
            let cut = Array(encoded.prefix(length))
            #expect(FolderSnapshot(encoded: cut) == nil && FolderSnapshot.unchangedHash(encoded: cut, directory: data) == nil, "cut at \(length)")
        }
        // Any one byte changed: no crash, and where the row still decodes, the in-place check answers only what the
        // decoded snapshot, refreshed, would (it skips the files' hashes, which only a change needs).
        var answered = 0
        for position in encoded.indices {
            var damaged = encoded
            damaged[position] ^= 0x5a
            guard let inPlace = FolderSnapshot.unchangedHash(encoded: damaged, directory: data) else { continue }
            answered += 1
            if let decoded = FolderSnapshot(encoded: damaged) {
                #expect(try decoded.refresh(data, now: FolderSnapshot.now())?.manifestHash == inPlace, "byte \(position)")
            }
        }
        #expect(answered < encoded.count / 2, "most damage to facts, names or lengths must be a miss")
        // The version before (a different magic) is ignored, not misread.
        var older = encoded
        older[14] = UInt8(ascii: "1")
        #expect(FolderSnapshot(encoded: older) == nil && FolderSnapshot.unchangedHash(encoded: older, directory: data) == nil)
    }

    @Test("a file edited in place with the same size is re-hashed, and only the manifest changes")
    func sameSizeEdit() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        try overwrite(data + "/nested/deeper/c.txt", "CHARLIE\n")
        let current = try currentHash(snapshot, data, root: root)
        #expect(current.refreshed, "an in-place edit leaves the folders alone: no walk needed")
        #expect(current.hash != snapshot.manifestHash)
        #expect(current.hash == (try walkedHash(data)))
    }

    @Test("a file added or removed in a nested folder changes that folder's mtime: the tree is walked again")
    func addedAndRemoved() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        try "delta\n".write(toFile: data + "/nested/deeper/d.txt", atomically: false, encoding: .utf8)
        var current = try currentHash(snapshot, data, root: root)
        #expect(!current.refreshed)
        #expect(current.hash == (try walkedHash(data)) && current.hash != snapshot.manifestHash)

        usleep(120_000)
        snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: snapshot, now: FolderSnapshot.now())
        #expect(try snapshot.refresh(data, now: FolderSnapshot.now()) == snapshot)
        unlink(data + "/nested/b.txt")
        current = try currentHash(snapshot, data, root: root)
        #expect(!current.refreshed)
        #expect(current.hash == (try walkedHash(data)) && current.hash != snapshot.manifestHash)
    }

    @Test("a file touched back to its old mtime is still seen: its ctime moved")
    func touchedBack() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = data + "/nested/b.txt"
        var before = stat()
        #expect(stat(path, &before) == 0)
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        usleep(20_000)
        try overwrite(path, "BRAVO\n")
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec && after.st_size == before.st_size)
        let current = try currentHash(snapshot, data, root: root)
        #expect(current.hash != snapshot.manifestHash)
        #expect(current.hash == (try walkedHash(data)))
    }

    @Test("racy: facts too recent at the scan vouch for nothing, so a same-tick edit is still seen")
    func racy() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try overwrite(data + "/a.txt", "ALPHA\n")  // now: within the racy window of the scan below
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        let file = try #require(snapshot.folders.first?.files.first { $0.name == "a.txt" })
        #expect(!file.trusted)
        try overwrite(data + "/a.txt", "alpha\n")  // probably the same timestamp tick: same size, maybe the same facts
        let current = try currentHash(snapshot, data, root: root)
        #expect(current.hash == (try walkedHash(data)))

        // Trust alone decides whether an unchanged file is read again: an untrusted entry with a wrong hash is corrected,
        // a trusted one would be believed. That is why recent facts must never be trusted.
        usleep(120_000)
        var forged = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        let index = try #require(forged.folders[0].files.firstIndex { $0.name == "a.txt" })
        let wrong = String(repeating: "0", count: 64)
        forged.folders[0].files[index].hash = wrong
        forged.manifestHash = wrong
        forged.folders[0].files[index].trusted = false
        #expect(try forged.refresh(data, now: FolderSnapshot.now())?.manifestHash == (try walkedHash(data)))
        forged.folders[0].files[index].trusted = true
        #expect(try forged.refresh(data, now: FolderSnapshot.now())?.manifestHash == wrong)

        // A folder changed within the window is listed again next time, whatever its facts say.
        try "echo\n".write(toFile: data + "/nested/e.txt", atomically: false, encoding: .utf8)
        let recent = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        #expect(recent.folders.first { $0.path == "nested" }?.trusted == false)
        #expect(try recent.refresh(data, now: FolderSnapshot.now()) == nil)
        // Whole-second timestamps (FAT, some network file systems) get a 2 s window.
        #expect(FolderSnapshot.racyWindow(mtime: 1_700_000_000_000_000_000, ctime: 1_700_000_000_000_000_000) == 2_000_000_000)
        #expect(FolderSnapshot.racyWindow(mtime: 1_700_000_000_123_456_789, ctime: 1_700_000_000_000_000_000) == 50_000_000)
    }

    @Test("a big folder, stat'ed on several threads, still sees one edited and one removed file")
    func bigFolder() throws {
        let root = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for index in 0..<1_200 { try "file \(index)\n".write(toFile: data + "/f\(index).txt", atomically: false, encoding: .utf8) }
        usleep(120_000)
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now())
        #expect(try snapshot.refresh(data, now: FolderSnapshot.now()) == snapshot)
        for index in [0, 599, 600, 1_199] {
            try overwrite(data + "/f\(index).txt", "FILE")
            let current = try currentHash(snapshot, data, root: root)
            let walked = try walkedHash(data)
            #expect(current.refreshed && current.hash == walked && current.hash != snapshot.manifestHash, "file \(index)")
            try overwrite(data + "/f\(index).txt", "file")
        }
        unlink(data + "/f777.txt")
        #expect(try snapshot.refresh(data, now: FolderSnapshot.now()) == nil)
    }

    @Test("a tree with a symbolic link is never refreshed, and a link out of the repository is refused")
    func links() throws {
        let (root, data) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(symlink("a.txt", data + "/link.txt") == 0)
        let snapshot = try FolderSnapshot.scan(data, confinedTo: root, previous: nil, now: FolderSnapshot.now() + 1_000_000_000)
        #expect(!snapshot.plain)
        #expect(try snapshot.refresh(data, now: FolderSnapshot.now()) == nil)
        #expect(snapshot.manifestHash == (try walkedHash(data)))
        #expect(symlink("/etc", data + "/nested/out") == 0)
        #expect(throws: ObjectStoreError.self) { try FolderSnapshot.scan(data, confinedTo: root, previous: snapshot, now: FolderSnapshot.now()) }
    }
}
