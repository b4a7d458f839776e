public import MLGateCore
import Yams

/// Reads `mlgate.lock` back. A missing file is an empty lock; a damaged one is an error naming the line,
/// because a lock that cannot be trusted would make every stage re-run or, worse, none.
public enum LockReader {
    /// The lock at `path`, or an empty one when there is no file.
    ///
    /// Like `mlgate.yaml`, the lock is read only when it resolves to a regular file inside its folder, and at
    /// most `maximumBytes` of it.
    public static func load(path: String) throws(ConfigError) -> LockFile {
        let folder = RepositoryFile.folder(of: path)
        let purpose = RepositoryFile.Purpose(display: path, fix: restore)
        guard let text = try RepositoryFile.text(at: path, repository: folder, limit: maximumBytes, purpose: purpose) else { return LockFile() }
        return try parse(text, file: path)
    }

    /// Largest accepted lock: a lock records hashes, so 16 MiB is tens of thousands of stages and files.
    public static let maximumBytes = 16 << 20

    /// What to do about a damaged lock.
    static let restore = "restore it with 'git checkout -- mlgate.lock', or delete it to re-run every stage"

    /// Parses lock text; `file` is used in messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> LockFile {
        let root = try YAMLDocument.compose(text, file: file, fix: restore)
        guard let stages = root?.mapping?["stages"]?.mapping else { return LockFile() }
        var lock = LockFile()
        for (nameNode, entry) in stages {
            guard let name = nameNode.string, let fields = entry.mapping,
                  let command = fields["cmd"]?.string, let memo = fields["memo"]?.string else {
                throw ConfigError(file: file, line: nameNode.mark?.line, column: nameNode.mark?.column,
                                  message: "a stage entry needs cmd and memo; restore the file with git or delete it to re-run every stage.")
            }
            let dependencies = (fields["deps"]?.sequence.map(Array.init) ?? []).compactMap(hashed)
            let parameters = (fields["params"]?.sequence.map(Array.init) ?? []).compactMap { item -> ParameterValue? in
                guard let file = item.mapping?["file"]?.string, let key = item.mapping?["key"]?.string,
                      let value = item.mapping?["value"] else { return nil }
                return ParameterValue(file: file, key: key, json: ParamsReader.canonicalJSON(value))
            }
            let outputs = (fields["outs"]?.sequence.map(Array.init) ?? []).compactMap { item -> LockedOutput? in
                guard let hashed = hashed(item) else { return nil }
                let cache = item.mapping?["cache"]?.bool ?? true
                return LockedOutput(path: hashed.path, hash: hashed.hash, cache: cache, isDirectory: false)
            }
            lock.stages[name] = StageLock(command: command, memo: memo, dependencies: dependencies, parameters: parameters,
                                          environment: fields["environment"].flatMap(hashed), outputs: outputs)
        }
        return lock
    }

    private static func hashed(_ node: Node) -> HashedPath? {
        guard let path = node.mapping?["path"]?.string, let hash = node.mapping?["sha256"]?.string else { return nil }
        return HashedPath(path: path, hash: hash)
    }
}
