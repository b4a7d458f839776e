public import Foundation

/// A real git repository in a fresh temporary directory, driven through the `git` CLI with an
/// isolated environment: its own HOME and no system config, so the machine's settings never leak in.
public struct GitFixture: Sendable {
    /// The temporary directory holding the repository (`repo/`), HOME (`home/`) and anything else.
    public let base: String
    /// The repository's work tree.
    public let root: String
    /// The environment every process the fixture starts gets.
    public var environment: [String: String]

    /// Creates a repository with one branch, `main`, and no commits.
    public init(initialBranch: String = "main", gitInitArguments: [String] = []) throws {
        base = try Self.makeTemporaryDirectory()
        root = base + "/repo"
        let home = base + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let inherited = ProcessInfo.processInfo.environment
        environment = [
            "PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "LANG": "C.UTF-8",
            "TMPDIR": inherited["TMPDIR"] ?? "/tmp",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
        ]
        if let ci = inherited["CI"] { environment["CI"] = ci }
        try git(["init", "-q", "-b", initialBranch] + gitInitArguments + [root], in: base)
    }

    /// A fresh temporary directory.
    public static func makeTemporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs git; throws when it exits non-zero unless `check` is false.
    @discardableResult
    public func git(_ arguments: [String], in directory: String? = nil, input: String? = nil, check: Bool = true,
                    extraEnvironment: [String: String] = [:]) throws -> ProcessResult {
        let result = try runProcess("/usr/bin/git", arguments, in: directory ?? root,
                                    environment: environment.merging(extraEnvironment) { $1 }, input: input)
        if check, result.status != 0 { throw TestSupportError("git \(arguments.joined(separator: " ")) failed: \(result)") }
        return result
    }

    /// Runs the built mlgate binary in `directory` (the repository by default).
    @discardableResult
    public func mlgate(_ arguments: [String], in directory: String? = nil, input: String? = nil,
                       extraEnvironment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(try MLGateBinary.path, arguments, in: directory ?? root,
                       environment: environment.merging(extraEnvironment) { $1 }, input: input)
    }

    /// Writes a file relative to the work tree (or an absolute path), creating folders.
    public func write(_ path: String, _ text: String, mode: Int? = nil) throws {
        let full = path.hasPrefix("/") ? path : root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: full) }
    }

    /// Reads a file relative to the work tree (or an absolute path).
    public func read(_ path: String) -> String? {
        let full = path.hasPrefix("/") ? path : root + "/" + path
        return FileManager.default.contents(atPath: full).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `path` and commits it; returns the new commit id.
    @discardableResult
    public func commit(_ message: String, file: String = "file.txt", content: String? = nil, in directory: String? = nil) throws -> String {
        let directory = directory ?? root
        let full = directory + "/" + file
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let previous = FileManager.default.contents(atPath: full).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try Data((content ?? previous + message + "\n").utf8).write(to: URL(fileURLWithPath: full))
        try git(["add", file], in: directory)
        try git(["commit", "-q", "-m", message], in: directory)
        return try head(in: directory)
    }

    /// The full id of HEAD.
    public func head(in directory: String? = nil) throws -> String {
        try git(["rev-parse", "HEAD"], in: directory).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the temporary directory.
    public func remove() { try? FileManager.default.removeItem(atPath: base) }
}

/// Every file under a directory with its bytes and permission bits, to assert that a refused command
/// wrote, moved or deleted nothing.
public func snapshot(of directory: String) throws -> [String: String] {
    var result: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
    for case let relative as String in walker {
        let full = directory + "/" + relative
        let attributes = try FileManager.default.attributesOfItem(atPath: full)
        let mode = (attributes[.posixPermissions] as? Int) ?? 0
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            result[relative] = "dir \(mode)"
        } else {
            let bytes = FileManager.default.contents(atPath: full) ?? Data()
            result[relative] = "\(mode) \(bytes.base64EncodedString())"
        }
    }
    return result
}
