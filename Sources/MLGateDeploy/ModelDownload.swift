import Foundation
import MLGateSystem
package import MLGateCore
import MLGateRegistry
import MLGateStore
import MLGateWorkspace

extension RegistryContext {
    /// Writes `version`'s artifact into `directory` as `<name>` (the file or folder it was registered from) and
    /// returns that name. An existing one is refused; with `force` it is replaced only when it holds nothing the
    /// artifact would not write, so mlgate never deletes files it did not write.
    package func download(_ version: ModelVersion, into directory: String, force: Bool) throws -> String {
        let name = version.sourcePath.map { ($0 as NSString).lastPathComponent } ?? "\(version.model)-\(version.version)"
        let folder = Files.absolute(directory)
        let target = folder + "/" + name
        try ProtectedLocations.refuse(target, workspace: workspace, what: "the download")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard force else {
                throw UsageError("\(target) already exists; give another folder, or pass --force to replace an earlier download of \(version.uri).")
            }
            let tree = try objects.tree(version.artifact)
            if isDirectory.boolValue {
                guard let tree else { throw UsageError("\(target) is a folder and \(version.uri) is a file; move the folder away.") }
                let extra = ProtectedLocations.unexpectedFiles(in: target, expected: Set(tree.entries.map(\.path)))
                guard extra.isEmpty else {
                    throw UsageError("\(target) holds files that are not part of \(version.uri) (\(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")); --force replaces only an earlier download. Move them out, or give another folder.")
                }
            } else if tree != nil {
                throw UsageError("\(target) is a file and \(version.uri) is a folder; move the file away.")
            }
        }
        try FileAccess.createDirectory(folder)
        try objects.checkout(version.artifact, to: target)
        return name
    }
}
