import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// The places mlgate never writes into: the filesystem root, the repository or any folder holding it, and what
/// belongs to git (`.git`) or to mlgate's store (`.mlgate`), judged on resolved paths so a link to one of them is
/// refused too.
package enum ProtectedLocations {
    /// Refuses `destination` (absolute) when it is one of those places; `what` names it for the message.
    package static func refuse(_ destination: String, workspace: Workspace, what: String) throws {
        let normalized = resolved(destination)
        let root = resolved(workspace.root)
        if normalized == "/" || root == normalized || root.hasPrefix(normalized + "/") {
            throw UsageError("\(what) \(destination) holds the repository; use a folder of its own, such as dist/<model>.")
        }
        for owned in [root + "/.git", resolved(workspace.layout.directory)] where normalized == owned || normalized.hasPrefix(owned + "/") {
            throw UsageError("\(what) \(destination) is inside \(owned), which belongs to git or mlgate; use a folder of its own, such as dist/<model>.")
        }
    }

    /// `path` with its existing part resolved through links (the rest appended as written), normalised.
    static func resolved(_ path: String) -> String {
        var existing = (path as NSString).standardizingPath
        var rest: [String] = []
        while !existing.isEmpty, existing != "/", ConfinedPath.realPath(existing) == nil {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let base = ConfinedPath.realPath(existing.isEmpty ? "/" : existing) ?? existing
        return rest.reduce(base) { ($0 as NSString).appendingPathComponent($1) }
    }

    /// The files under `folder` (relative paths, sorted) that `expected` does not list: what a replacement would
    /// lose that mlgate did not write.
    package static func unexpectedFiles(in folder: String, expected: Set<String>) -> [String] {
        TreeManifest.files(under: folder).filter { !expected.contains($0) }
    }
}

/// The rules for the folder `mlgate package --out` writes.
package enum PackageFolder {
    /// Refuses a destination that is in the way: a file, a non-empty folder without `force`, a folder that
    /// holds anything but an earlier package's own files even with `force`, one that holds the repository, or one
    /// inside `.git` or mlgate's store.
    package static func checkCanWrite(_ destination: String, force: Bool, workspace: Workspace) throws {
        try ProtectedLocations.refuse(destination, workspace: workspace, what: "the package folder")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw UsageError("\(destination) is a file; give a folder that does not exist yet.") }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []
        guard !contents.isEmpty else { return }
        guard force else {
            throw UsageError("\(destination) is not empty; give a new folder, or pass --force to replace the package there.")
        }
        guard let written = writtenFiles(destination) else {
            throw UsageError("\(destination) holds files that are not an mlgate package (no manifest.json of one); --force only replaces a package. Give a new folder.")
        }
        let extra = ProtectedLocations.unexpectedFiles(in: destination, expected: written)
        guard extra.isEmpty else {
            throw UsageError("\(destination) holds files the earlier package did not write (\(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")); --force replaces only what mlgate wrote. Move them out, or give a new folder. Nothing was changed.")
        }
    }

    /// Whether `folder` holds a package: a manifest.json whose `format` is the package format.
    static func isPackage(_ folder: String) -> Bool { writtenFiles(folder) != nil }

    /// The files the package in `folder` was written with (from its manifest.json), or nil when it holds none.
    static func writtenFiles(_ folder: String) -> Set<String>? {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["format"] as? String == PackageManifest.format else { return nil }
        func paths(_ value: Any?) -> [String] { (value as? [[String: Any]] ?? []).compactMap { $0["path"] as? String } }
        var files: Set<String> = ["manifest.json"]
        files.formUnion(paths((object["artifact"] as? [String: Any])?["files"]))
        if let serve = object["serve"] as? [String: Any] {
            files.formUnion(paths(serve["files"]))
            files.formUnion(["Dockerfile", ".dockerignore"])
        }
        if let lock = ((object["environment"] as? [String: Any])?["requirements_lock"] as? [String: Any])?["path"] as? String { files.insert(lock) }
        return files
    }
}

/// A folder built beside its final place and renamed into it, so readers see the old folder or the new one,
/// never a half-written one.
package enum StagedDirectory {
    /// Runs `build` on a fresh folder next to `destination`, then renames it to `destination`. An existing
    /// empty folder is replaced; a non-empty one only when `replacing` (moved aside, then removed). When
    /// `build` or a rename fails, `destination` is as it was and the new folder is removed.
    @discardableResult
    package static func publish<T>(_ destination: String, replacing: Bool, build: (String) throws -> T) throws -> T {
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let createdParents = try makeParents(parent)
        let staging = parent + "/.\(name).mlgate-new-\(getpid())"
        let aside = parent + "/.\(name).mlgate-old-\(getpid())"
        ObjectStore.removeTree(staging)
        func undo() {
            ObjectStore.removeTree(staging)
            for folder in createdParents.reversed() { rmdir(folder) }
        }
        let result: T
        do {
            guard mkdir(staging, 0o755) == 0 else { throw EnvironmentError("cannot create \(staging): \(String(cString: strerror(errno))).") }
            result = try build(staging)
        } catch {
            undo()
            throw error
        }
        if rename(staging, destination) == 0 { return result }
        guard errno == ENOTEMPTY || errno == EEXIST, replacing else {
            let reason = String(cString: strerror(errno))
            undo()
            throw EnvironmentError("cannot write \(destination): \(reason); it is as it was.")
        }
        ObjectStore.removeTree(aside)
        guard rename(destination, aside) == 0 else {
            let reason = String(cString: strerror(errno))
            undo()
            throw EnvironmentError("cannot replace \(destination): \(reason); it is as it was.")
        }
        guard rename(staging, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            rename(aside, destination)
            undo()
            throw EnvironmentError("cannot replace \(destination): \(reason); it is as it was.")
        }
        ObjectStore.removeTree(aside)
        return result
    }

    /// Creates the missing folders of `path`, returning those it created (outermost first).
    private static func makeParents(_ path: String) throws -> [String] {
        var missing: [String] = []
        var current = path
        var isDirectory: ObjCBool = false
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current, isDirectory: &isDirectory) {
            missing.insert(current, at: 0)
            current = (current as NSString).deletingLastPathComponent
        }
        if FileManager.default.fileExists(atPath: current, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError("\(current) is a file, so no folder can be made inside it; give another place.")
        }
        for (index, folder) in missing.enumerated() where mkdir(folder, 0o755) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            for created in missing[..<index].reversed() { rmdir(created) }
            throw EnvironmentError("cannot create \(folder): \(reason).")
        }
        return missing
    }
}
