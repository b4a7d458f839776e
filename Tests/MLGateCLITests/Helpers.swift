import Foundation
import MLGateTestSupport
import Testing

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

/// What headless Chromium made of a page: its screenshot, its DOM after layout, and what the browser logged.
struct RenderedPage {
    let png: Data
    let dom: String
    let log: String

    /// Whether the screenshot is a real picture of a page (a blank one compresses to a few kB) and nothing failed.
    var renderedCleanly: Bool {
        png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000 && !log.contains("Uncaught") && !log.contains(":CONSOLE(")
    }
}

/// Opens `file` (inside `fixture`) in Debian's headless Chromium, which `.ci/run` installs: a screenshot at a laptop's
/// width and the DOM. Nil, with an issue recorded, where Chromium is not installed: the page was then not checked.
func renderInChromium(_ file: String, fixture: GitFixture) throws -> RenderedPage? {
    guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("headless chromium is not installed (apt-get install chromium); \(file) was not opened in a browser")
        return nil
    }
    let url = "file://" + fixture.root + "/" + file
    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1400", "--enable-logging=stderr", "--v=0"]
    let shot = fixture.root + "/" + file + ".png"
    let screenshot = try runProcess(chromium, flags + ["--screenshot=" + shot, url], in: fixture.root, environment: fixture.environment)
    let dom = try runProcess(chromium, flags + ["--dump-dom", url], in: fixture.root, environment: fixture.environment)
    return RenderedPage(png: FileManager.default.contents(atPath: shot) ?? Data(), dom: dom.stdout, log: screenshot.stderr + dom.stderr)
}
