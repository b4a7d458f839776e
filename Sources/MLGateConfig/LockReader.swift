public import MLGateCore
import Foundation
import Yams

/// Reads `mlgate.lock` back. A missing file is an empty lock; a damaged one is an error naming the line,
/// because a lock that cannot be trusted would make every stage re-run or, worse, none.
public enum LockReader {
    /// The lock at `path`, or an empty one when there is no file.
    public static func load(path: String) throws(ConfigError) -> LockFile {
        guard let data = FileManager.default.contents(atPath: path) else { return LockFile() }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "not UTF-8 text; restore it with 'git checkout -- mlgate.lock' or delete it to re-run every stage.")
        }
        return try parse(text, file: path)
    }

    /// Parses lock text; `file` is used in messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> LockFile {
        let root: Node?
        do { root = try Yams.compose(yaml: text, .basic) } catch {
            throw ConfigError(file: file, message: "not valid YAML (\(error)); restore it with 'git checkout -- mlgate.lock' or delete it to re-run every stage.")
        }
        guard let stages = root?.mapping?["stages"]?.mapping else { return LockFile() }
        var lock = LockFile()
        for (nameNode, entry) in stages {
            guard let name = nameNode.string, let fields = entry.mapping,
                  let command = fields["cmd"]?.string, let memo = fields["memo"]?.string else {
                throw ConfigError(file: file, line: nameNode.mark?.line, column: nameNode.mark?.column,
                                  message: "a stage entry needs cmd and memo; restore the file with git or delete it to re-run every stage.")
            }
            let dependencies = (fields["deps"]?.sequence ?? []).compactMap(hashed)
            let parameters = (fields["params"]?.sequence ?? []).compactMap { item -> ParameterValue? in
                guard let file = item.mapping?["file"]?.string, let key = item.mapping?["key"]?.string,
                      let value = item.mapping?["value"] else { return nil }
                return ParameterValue(file: file, key: key, json: ParamsReader.canonicalJSON(value))
            }
            let outputs = (fields["outs"]?.sequence ?? []).compactMap { item -> LockedOutput? in
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
