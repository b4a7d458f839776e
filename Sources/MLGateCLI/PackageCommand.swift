import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate package`: write a registered model version as a self-contained, runnable folder.
struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Write a model version as a folder you can ship: the model, its serving code, a manifest and a Dockerfile.",
        discussion: """
            The folder holds:
              model/<name>       the version's artifact, checked against its hash
              app/               its serving code ('serve: files' in mlgate.yaml)
              requirements.lock  the Python packages its training run recorded
              manifest.json      every file's hash, the lineage (commit, run, data,
                                 gate verdict), the environment, the serve command
              Dockerfile         an image that serves the model (and .dockerignore)

            app/ and the Dockerfile need a 'serve' section for the model in mlgate.yaml (docs/config.md); \
            without one the folder holds the model, requirements.lock and manifest.json.

            The folder is built beside DIR and renamed into place, so DIR is either complete or untouched. DIR \
            must not exist or must be empty; --force replaces a DIR that holds an earlier package.

            Example:
              mlgate package churn@production --out dist/churn
              docker build -t churn dist/churn
              docker run -p 8080:8080 churn

            Exit codes: 0 written; 1 the version is deleted, or an object is damaged; 2 an unknown model or \
            version, a DIR in the way, a bad 'serve' section or a missing serve file; 3 the store or the disk failed.
            """)

    @Argument(help: ArgumentHelp("The version to package: NAME/N, NAME@ALIAS, NAME@STAGE (the version in that lifecycle stage), NAME (its newest active version) or a models:/ URI.",
                                 valueName: "model-uri"))
    var model: String

    @Option(help: ArgumentHelp("The folder to write; it must not exist or must be empty.", valueName: "dir"))
    var out: String

    @Flag(help: "Replace DIR when it already holds a package.")
    var force = false

    @Flag(help: "Print the manifest's path and contents as JSON (shape in docs/json.md).")
    var json = false

    func run() throws {
        let registry = try RegistryContext.current()
        let version = try registry.store.resolve(try ModelURI(parsing: model))
        guard version.status != "deleted" else { throw RegistryError(.refused, "\(version.uri) is deleted; its artifact may be gone. Package another version.") }
        let destination = ((out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out) as NSString).standardizingPath
        try PackageFolder.checkCanWrite(destination, force: force, workspace: registry.workspace)
        let packager = try ModelPackager(registry: registry, version: version)
        let plan = try packager.plan()
        try StagedDirectory.publish(destination, replacing: force) { try plan.write(into: $0) }
        if version.status != "active" { printError("warning: \(version.uri) is \(version.status).") }
        let manifestPath = destination + "/manifest.json"
        if json { return try Output.json(PackageJSON(manifestPath: manifestPath, files: plan.files, manifest: plan.manifest)) }
        print("packaged \(version.uri) into \(out):")
        var rows: [[String]] = []
        let artifact = plan.manifest.artifact
        rows.append(["  " + artifact.path + (artifact.isDirectory ? "/" : ""),
                     "the model (\(artifact.files.count) file\(artifact.files.count == 1 ? "" : "s"), \(artifact.sha256.prefix(12)))"])
        if let serve = plan.manifest.serve.value {
            rows.append(["  app/", "serving code: " + serve.files.map { String($0.path.dropFirst(4)) }.joined(separator: ", ")])
        }
        let lock = plan.manifest.environment.requirementsLock
        rows.append(["  " + lock.path, lock.requirements > 0 ? "\(lock.requirements) pinned packages" : "no packages recorded"])
        rows.append(["  manifest.json", "hashes and lineage"])
        if let serve = plan.manifest.serve.value { rows.append(["  Dockerfile, .dockerignore", "FROM \(serve.image)"]) }
        Output.table(rows)
        if let serve = plan.manifest.serve.value {
            print("\nrun it:   cd \(out)/\(serve.workdir) && \(serve.command)")
            print("or build: docker build -t \(version.model):\(version.version) \(out) && docker run -p \(serve.port):\(serve.port) \(version.model):\(version.version)")
        } else {
            print("\nno Dockerfile: model '\(version.model)' declares no 'serve' in mlgate.yaml; add models.\(version.model).serve (docs/deploy.md#packaging) to get one.")
        }
    }
}

/// What `mlgate package --json` prints.
struct PackageJSON: Encodable {
    enum CodingKeys: String, CodingKey { case manifestPath = "manifest_path", files, manifest }
    /// The absolute path of manifest.json.
    let manifestPath: String
    /// Every file written, package-relative, sorted.
    let files: [String]
    /// The manifest.
    let manifest: PackageManifest
}

/// The places mlgate never writes into: the filesystem root, the repository or any folder holding it, and what
/// belongs to git (`.git`) or to mlgate's store (`.mlgate`), judged on resolved paths so a link to one of them is
/// refused too.
enum ProtectedLocations {
    /// Refuses `destination` (absolute) when it is one of those places; `what` names it for the message.
    static func refuse(_ destination: String, workspace: Workspace, what: String) throws {
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
    static func unexpectedFiles(in folder: String, expected: Set<String>) -> [String] {
        TreeManifest.files(under: folder).filter { !expected.contains($0) }
    }
}

/// The rules for the folder `mlgate package --out` writes.
enum PackageFolder {
    /// Refuses a destination that is in the way: a file, a non-empty folder without `force`, a folder that
    /// holds anything but an earlier package's own files even with `force`, one that holds the repository, or one
    /// inside `.git` or mlgate's store.
    static func checkCanWrite(_ destination: String, force: Bool, workspace: Workspace) throws {
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
enum StagedDirectory {
    /// Runs `build` on a fresh folder next to `destination`, then renames it to `destination`. An existing
    /// empty folder is replaced; a non-empty one only when `replacing` (moved aside, then removed). When
    /// `build` or a rename fails, `destination` is as it was and the new folder is removed.
    @discardableResult
    static func publish<T>(_ destination: String, replacing: Bool, build: (String) throws -> T) throws -> T {
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

/// Builds a model package: the version's artifact, the serving code its `serve` section names, the run's
/// environment lock, a manifest, and (with `serve`) a Dockerfile. Used by `mlgate package` and by `directory`
/// deploy targets.
struct ModelPackager {
    let registry: RegistryContext
    let version: ModelVersion
    /// The model's serve section in mlgate.yaml, if any.
    let serve: ServeSpec?

    init(registry: RegistryContext, version: ModelVersion) throws {
        self.registry = registry
        self.version = version
        serve = try registry.workspace.configuration().models.first { $0.name == version.model }?.serve
    }

    /// A serve file: where it comes from (absolute), its entry in the manifest, and its mode.
    typealias AppEntry = (source: String, file: PackageManifest.AppFile, mode: Int)

    /// Everything the package will hold, computed (and its inputs checked) before anything is written.
    struct Plan {
        /// The packager that planned it (and writes it).
        let packager: ModelPackager
        /// The manifest.
        var manifest: PackageManifest
        /// manifest.json's text.
        var manifestText: String
        /// requirements.lock's text.
        var lockText: String
        /// The serve files.
        var appFiles: [AppEntry]
        /// Every file the package holds, package-relative, sorted.
        var files: [String]

        /// Writes the package into `folder` (empty).
        func write(into folder: String) throws { try packager.write(self, into: folder) }
    }

    /// Plans the package: hashes the artifact's files from its tree manifest and the serve files from the
    /// worktree, resolves the serve command, and reads the run's recorded environment.
    func plan() throws -> Plan {
        let name = version.artifactName
        let artifactPath = "model/" + name
        let artifactFiles: [PackageManifest.File]
        if let tree = try registry.objects.tree(version.artifact) {
            artifactFiles = tree.entries.map { PackageManifest.File(path: artifactPath + "/" + $0.path, sha256: $0.hash, size: $0.size) }
        } else {
            artifactFiles = [PackageManifest.File(path: artifactPath, sha256: version.artifact, size: registry.objects.size(of: version.artifact))]
        }
        let environment = try self.environment()
        var appFiles: [AppEntry] = []
        var serveManifest: PackageManifest.Serve?
        if let serve {
            let layout = Self.appLayout(serve)
            for spec in serve.files {
                let relative = spec.path.split(separator: "/").dropFirst(layout.base.count).joined(separator: "/")
                appFiles += try appEntries(spec.path, into: "app/" + relative)
            }
            let modelFromWorkdir = String(repeating: "../", count: layout.workdir.split(separator: "/").count) + artifactPath
            let command = serve.command.substituting(["model": modelFromWorkdir, "port": String(serve.port)])
            serveManifest = PackageManifest.Serve(argv: command.argv, command: command.display, workdir: layout.workdir, port: serve.port,
                                                  health: serve.health, image: serve.baseImage(recordedPython: environment.manifest.python.value),
                                                  files: appFiles.map(\.file),
                                                  sourceCommit: JSONNullable((try? GitRepository.open(at: registry.workspace.root).head())?.commit?.hex))
        }
        let manifest = PackageManifest(
            model: version.model, version: version.version, uri: version.uri,
            artifact: PackageManifest.Artifact(path: artifactPath, sha256: version.artifact, isDirectory: version.artifactIsDirectory, files: artifactFiles),
            lineage: PackageManifest.Lineage(version), environment: environment.manifest, serve: JSONNullable(serveManifest),
            mlgateVersion: MLGateVersion.current)
        var files = artifactFiles.map(\.path) + appFiles.map(\.file.path) + [environment.manifest.requirementsLock.path, "manifest.json"]
        if serve != nil { files += ["Dockerfile", ".dockerignore"] }
        return Plan(packager: self, manifest: manifest, manifestText: try Output.jsonText(manifest) + "\n", lockText: environment.lockText,
                    appFiles: appFiles, files: files.sorted())
    }

    /// Writes a planned package into `folder` (empty): the artifact checked out and hash-verified, the serve
    /// files re-hashed as they are copied, then the lock, the manifest and the Dockerfile.
    fileprivate func write(_ plan: Plan, into folder: String) throws {
        guard mkdir(folder + "/model", 0o755) == 0 else { throw EnvironmentError("cannot create \(folder)/model: \(String(cString: strerror(errno))).") }
        try registry.objects.checkout(version.artifact, to: folder + "/" + plan.manifest.artifact.path)
        for entry in plan.appFiles {
            guard let bytes = FileManager.default.contents(atPath: entry.source) else { throw UsageError("cannot read \(entry.source).") }
            guard ContentHash.of(bytes) == entry.file.sha256 else {
                throw UsageError("\(entry.file.source) changed while it was being packaged; package again.")
            }
            let target = folder + "/" + entry.file.path
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target, contents: bytes, attributes: [.posixPermissions: entry.mode]) else {
                throw EnvironmentError("cannot write \(target).")
            }
        }
        try AtomicFile.write(plan.lockText, to: folder + "/" + plan.manifest.environment.requirementsLock.path)
        try AtomicFile.write(plan.manifestText, to: folder + "/manifest.json")
        if let serve = plan.manifest.serve.value {
            try AtomicFile.write(Dockerfile.text(plan.manifest, serve: serve), to: folder + "/Dockerfile")
            try AtomicFile.write(Dockerfile.ignore, to: folder + "/.dockerignore")
        }
    }

    /// Where the serve files go: `base` is the deepest folder holding the serve wdir and every file's folder
    /// (its contents become `app/`), `workdir` is the wdir's place in the package.
    static func appLayout(_ serve: ServeSpec) -> (base: [Substring], workdir: String) {
        let wdir = serve.workingDirectory.split(separator: "/")
        var base = wdir
        for file in serve.files {
            let folder = file.path.split(separator: "/").dropLast()
            let common = zip(base, folder).prefix { $0 == $1 }.count
            base = Array(base.prefix(common))
        }
        return (base, (["app"] + wdir.dropFirst(base.count)).joined(separator: "/"))
    }

    /// The package entries of serve file (or folder) `path` (repository-relative), placed at `destination`.
    private func appEntries(_ path: String, into destination: String) throws -> [AppEntry] {
        let full = registry.workspace.root + "/" + path
        var info = stat()
        guard stat(full, &info) == 0 else {
            throw UsageError("the serve file \(path) of model '\(version.model)' does not exist; create it, or fix 'serve: files' in mlgate.yaml.")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            // Python's bytecode caches belong to the machine that made them, not to the package.
            let tree = try TreeManifest.scan(full) { (file, _) throws(ObjectStoreError) in try ContentHash.file(file).hash }
            return tree.entries.filter { !$0.path.split(separator: "/").contains("__pycache__") && !$0.path.hasSuffix(".pyc") }.map {
                (full + "/" + $0.path, PackageManifest.AppFile(path: destination + "/" + $0.path, sha256: $0.hash, size: $0.size, source: path + "/" + $0.path),
                 $0.executable ? 0o755 : 0o644)
            }
        }
        let hashed = try ContentHash.file(full)
        return [(full, PackageManifest.AppFile(path: destination, sha256: hashed.hash, size: hashed.size, source: path), info.st_mode & 0o111 != 0 ? 0o755 : 0o644)]
    }

    /// The environment the version's run recorded, and requirements.lock's text.
    private func environment() throws -> (manifest: PackageManifest.Environment, lockText: String) {
        let run = try version.run.flatMap { try registry.store.run($0) }
        let stage = run.flatMap { run in run.stages.last { $0.outputs.contains { $0.path == version.sourcePath } } }
        let finding = stage?.environment ?? run?.stages.last { $0.environment != nil }?.environment
        var lock: String
        var requirements = 0
        let recorded = run?.environment
        if let run, let object = recorded?.packagesObject, recorded?.packagesTool == "pip freeze" {
            let listing = String(decoding: try registry.objects.bytes(object, what: "the package list of run \(run.number)"), as: UTF8.self)
            lock = "# pip freeze of the machine run \(run.number) ran on, written by 'mlgate package' for \(version.uri).\n"
            for line in listing.split(whereSeparator: \.isNewline).map(String.init) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                if trimmed.hasPrefix("-") || trimmed.contains(" @ file:") {
                    lock += "# not installable from a package index: \(trimmed)\n"
                } else {
                    lock += trimmed + "\n"
                    requirements += 1
                }
            }
        } else if let run, let tool = recorded?.packagesTool {
            lock = "# run \(run.number) listed its packages with '\(tool)', which pip cannot install; see environment.packages_object in manifest.json.\n"
        } else if let number = version.run {
            lock = run == nil
                ? "# run \(number) is not in this store ('mlgate pull' may fetch it): no package list.\n"
                : "# run \(number) recorded no package list (pip was not found).\n"
        } else {
            lock = "# \(version.uri) was registered from a path, not a run: no package list was recorded.\n"
        }
        let manifest = PackageManifest.Environment(
            file: JSONNullable(finding?.file), fileSHA256: JSONNullable(finding?.hash), python: JSONNullable(recorded?.python),
            packagesObject: JSONNullable(recorded?.packagesObject), packagesTool: JSONNullable(recorded?.packagesTool),
            requirementsLock: PackageManifest.LockFile(path: "requirements.lock", sha256: ContentHash.of(Array(lock.utf8)), requirements: requirements))
        return (manifest, lock)
    }
}

/// The manifest.json of a package (shape in docs/json.md#package-manifest).
struct PackageManifest: Encodable {
    /// The value of `format`, which marks a folder as an mlgate package.
    static let format = "mlgate-package/1"

    enum CodingKeys: String, CodingKey {
        case format, model, version, uri, artifact, lineage, environment, serve, mlgateVersion = "mlgate_version"
    }

    /// One file and its hash.
    struct File: Encodable {
        let path: String
        let sha256: String
        let size: Int64
    }

    /// The model's artifact in the package.
    struct Artifact: Encodable {
        enum CodingKeys: String, CodingKey { case path, sha256, isDirectory = "is_directory", files }
        let path: String
        let sha256: String
        let isDirectory: Bool
        let files: [File]
    }

    /// Where the version came from.
    struct Lineage: Encodable {
        enum CodingKeys: String, CodingKey {
            case commit, branch, run, dataHashes = "data_hashes", registeredAt = "registered_at", registeredBy = "registered_by"
            case verdictDigest = "verdict_digest", gatePassed = "gate_passed"
        }
        let commit: JSONNullable<String>
        let branch: JSONNullable<String>
        let run: JSONNullable<Int>
        let dataHashes: [String: String]
        let registeredAt: String
        let registeredBy: String
        let verdictDigest: JSONNullable<String>
        let gatePassed: JSONNullable<Bool>

        init(_ version: ModelVersion) {
            commit = JSONNullable(version.commit)
            branch = JSONNullable(version.branch)
            run = JSONNullable(version.run)
            dataHashes = version.dataHashes
            registeredAt = Output.timestamp(version.createdAt / 1000)
            registeredBy = version.createdBy
            verdictDigest = JSONNullable(version.verdictDigest)
            gatePassed = JSONNullable(version.gatePassed)
        }
    }

    /// requirements.lock.
    struct LockFile: Encodable {
        let path: String
        let sha256: String
        /// How many packages it pins (0: the Dockerfile installs nothing).
        let requirements: Int
    }

    /// The software the version was trained with.
    struct Environment: Encodable {
        enum CodingKeys: String, CodingKey {
            case file, fileSHA256 = "file_sha256", python, packagesObject = "packages_object", packagesTool = "packages_tool"
            case requirementsLock = "requirements_lock"
        }
        let file: JSONNullable<String>
        let fileSHA256: JSONNullable<String>
        let python: JSONNullable<String>
        let packagesObject: JSONNullable<String>
        let packagesTool: JSONNullable<String>
        let requirementsLock: LockFile
    }

    /// A serve file in the package.
    struct AppFile: Encodable {
        let path: String
        let sha256: String
        let size: Int64
        /// Its repository-relative path.
        let source: String
    }

    /// How the package serves the model.
    struct Serve: Encodable {
        enum CodingKeys: String, CodingKey { case argv, command, workdir, port, health, image, files, sourceCommit = "source_commit" }
        let argv: [String]
        let command: String
        let workdir: String
        let port: Int
        let health: String
        let image: String
        let files: [AppFile]
        let sourceCommit: JSONNullable<String>
    }

    let format = PackageManifest.format
    let model: String
    let version: Int
    let uri: String
    let artifact: Artifact
    let lineage: Lineage
    let environment: Environment
    let serve: JSONNullable<Serve>
    let mlgateVersion: String
}

/// The Dockerfile and .dockerignore of a package that declares `serve`.
enum Dockerfile {
    /// The user the image runs as: a fixed non-root id, so Kubernetes' runAsNonRoot can check it.
    static let user = "10001:10001"

    /// The Dockerfile for `manifest`, whose serve section is `serve`.
    static func text(_ manifest: PackageManifest, serve: PackageManifest.Serve) -> String {
        let tag = "\(manifest.model):\(manifest.version)"
        let probe = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:\(serve.port)\(serve.health)', timeout=4)"
        var lines = [
            "# Generated by mlgate \(manifest.mlgateVersion) ('mlgate package') for \(manifest.uri); manifest.json lists every file and its hash.",
            "# docker build -t \(tag) . && docker run -p \(serve.port):\(serve.port) \(tag)",
            "FROM \(serve.image)",
            "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MLGATE_MODEL_URI=\(JSONText.quoted(manifest.uri))",
            "WORKDIR /srv/model",
            "COPY requirements.lock ./",
        ]
        if manifest.environment.requirementsLock.requirements > 0 {
            lines.append("RUN pip install --no-cache-dir -r requirements.lock")
        }
        lines += [
            "COPY model/ model/",
            "COPY app/ app/",
            "COPY manifest.json ./",
            "USER \(user)",
            "EXPOSE \(serve.port)",
            "HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD " + execForm(["python3", "-c", probe]),
            "WORKDIR /srv/model/\(serve.workdir)",
            "CMD " + execForm(serve.argv),
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// An instruction's arguments in JSON exec form.
    static func execForm(_ argv: [String]) -> String { "[" + argv.map(JSONText.quoted).joined(separator: ", ") + "]" }

    /// Sends the package's own files, and nothing else, to the build.
    static let ignore = """
        # Generated by mlgate: only the package's own files go to the Docker build.
        *
        !Dockerfile
        !manifest.json
        !requirements.lock
        !model
        !app
        **/__pycache__
        **/*.pyc

        """
}

extension ModelVersion {
    /// The name its artifact is checked out under: the last part of the path it was registered from, else `model`.
    var artifactName: String {
        let name = sourcePath.map { ($0 as NSString).lastPathComponent } ?? ""
        return ["", ".", "..", "/"].contains(name) ? "model" : name
    }
}

extension StageCommand {
    /// The command with each `{key}` replaced by `values[key]`: inside each word of an argument list, shell-quoted
    /// in a string (so a path with spaces stays one word).
    func substituting(_ values: [String: String]) -> StageCommand {
        let ordered = values.sorted { $0.key < $1.key }
        switch self {
        case .arguments(let words):
            return .arguments(words.map { word in ordered.reduce(word) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) } })
        case .shell(let text):
            return .shell(ordered.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: HookScript.shellQuoted($1.value)) })
        }
    }
}
