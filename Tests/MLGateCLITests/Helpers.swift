import Foundation
import MLGateTestSupport

/// A fixture with `mlgate init` already run and an initial commit made before it.
func initialisedRepository() throws -> GitFixture {
    let fixture = try GitFixture()
    try fixture.commit("initial")
    let result = try fixture.mlgate(["init"])
    guard result.status == 0 else { throw TestSupportError("init failed: \(result)") }
    return fixture
}

/// The recorded commits, newest first, as `mlgate lineage --json` prints them.
func lineage(_ fixture: GitFixture, _ arguments: [String] = [], in directory: String? = nil) throws -> [[String: Any]] {
    let result = try fixture.mlgate(["lineage", "--json"] + arguments, in: directory)
    guard result.status == 0 else { throw TestSupportError("lineage failed: \(result)") }
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    return object?["commits"] as? [[String: Any]] ?? []
}

/// The `commit` field of each entry.
func ids(_ entries: [[String: Any]]) -> [String] { entries.compactMap { $0["commit"] as? String } }

/// The entry for `id`.
func entry(_ entries: [[String: Any]], _ id: String) -> [String: Any]? {
    entries.first { $0["commit"] as? String == id }
}

/// Parses a JSON object printed by mlgate.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw TestSupportError("not a JSON object: \(text)")
    }
    return object
}

/// The mlgate package's own folder (where README.md and docs/ are).
func repositoryRoot() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// A bare repository beside `fixture`'s, added as its `origin` with `main` pushed; returns its path.
func bareOrigin(_ fixture: GitFixture) throws -> String {
    let remote = fixture.base + "/remote.git"
    try fixture.git(["init", "-q", "--bare", "-b", "main", remote], in: fixture.base)
    try fixture.git(["remote", "add", "origin", remote])
    try fixture.git(["push", "-q", "origin", "main"])
    return remote
}
