package import MLGateRegistry
import MLGatePipeline
import Foundation
package import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// Builds a model package: the version's artifact, the serving code its `serve` section names, the run's
/// environment lock, a manifest, and (with `serve`) a Dockerfile. Used by `mlgate package` and by `directory`
/// deploy targets.
package struct ModelPackager {
    let registry: RegistryContext
    let version: ModelVersion
    /// The model's serve section in mlgate.yaml, if any.
    let serve: ServeSpec?

    package init(registry: RegistryContext, version: ModelVersion) throws {
        self.registry = registry
        self.version = version
        serve = try registry.workspace.configuration().models.first { $0.name == version.model }?.serve
    }

    /// A serve file: where it comes from (absolute), its entry in the manifest, and its mode.
    typealias AppEntry = (source: String, file: PackageManifest.AppFile, mode: Int)

    /// Everything the package will hold, computed (and its inputs checked) before anything is written.
    package struct Plan {
        /// The packager that planned it (and writes it).
        let packager: ModelPackager
        /// The manifest.
        package var manifest: PackageManifest
        /// manifest.json's text.
        var manifestText: String
        /// requirements.lock's text.
        var lockText: String
        /// The serve files.
        var appFiles: [AppEntry]
        /// Every file the package holds, package-relative, sorted.
        package var files: [String]

        /// Writes the package into `folder` (empty).
        package func write(into folder: String) throws { try packager.write(self, into: folder) }
    }

    /// Plans the package: hashes the artifact's files from its tree manifest and the serve files from the
    /// worktree, resolves the serve command, and reads the run's recorded environment.
    package func plan() throws -> Plan {
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
            let command = Self.serveCommand(serve, version: version, port: String(serve.port))
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
        return Plan(packager: self, manifest: manifest, manifestText: try JSONDocument.text(manifest) + "\n", lockText: environment.lockText,
                    appFiles: appFiles, files: files.sorted())
    }

    /// Writes a planned package into `folder` (empty): the artifact checked out and hash-verified, the serve
    /// files re-hashed as they are copied, then the lock, the manifest and the Dockerfile.
    fileprivate func write(_ plan: Plan, into folder: String) throws {
        guard mkdir(folder + "/model", 0o755) == 0 else { throw EnvironmentError("cannot create \(folder)/model: \(String(cString: strerror(errno))).") }
        try registry.objects.checkout(version.artifact, to: folder + "/" + plan.manifest.artifact.path)
        for entry in plan.appFiles {
            guard let bytes = FileManager.default.contents(atPath: entry.source) else { throw UsageError("cannot read \(entry.source).") }
            guard bytes.withUnsafeBytes(ContentHash.of) == entry.file.sha256 else {
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
    /// The serve command as it runs inside a package (from its working folder `app/...`), with `port` for `{port}`
    /// and the packaged artifact for `{model}`.
    static func serveCommand(_ serve: ServeSpec, version: ModelVersion, port: String) -> StageCommand {
        let workdir = appLayout(serve).workdir
        let modelFromWorkdir = String(repeating: "../", count: workdir.split(separator: "/").count) + "model/" + version.artifactName
        return serve.command.substituting(["model": modelFromWorkdir, "port": port])
    }

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
package struct PackageManifest: Encodable {
    /// The value of `format`, which marks a folder as an mlgate package.
    static let format = "mlgate-package/1"

    enum CodingKeys: String, CodingKey {
        case format, model, version, uri, artifact, lineage, environment, serve, mlgateVersion = "mlgate_version"
    }

    /// One file and its hash.
    package struct File: Encodable {
        let path: String
        let sha256: String
        let size: Int64
    }

    /// The model's artifact in the package.
    package struct Artifact: Encodable {
        enum CodingKeys: String, CodingKey { case path, sha256, isDirectory = "is_directory", files }
        package let path: String
        package let sha256: String
        package let isDirectory: Bool
        package let files: [File]
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
            registeredAt = Timestamp.iso8601(version.createdAt / 1000)
            registeredBy = version.createdBy
            verdictDigest = JSONNullable(version.verdictDigest)
            gatePassed = JSONNullable(version.gatePassed)
        }
    }

    /// requirements.lock.
    package struct LockFile: Encodable {
        package let path: String
        let sha256: String
        /// How many packages it pins (0: the Dockerfile installs nothing).
        package let requirements: Int
    }

    /// The software the version was trained with.
    package struct Environment: Encodable {
        enum CodingKeys: String, CodingKey {
            case file, fileSHA256 = "file_sha256", python, packagesObject = "packages_object", packagesTool = "packages_tool"
            case requirementsLock = "requirements_lock"
        }
        let file: JSONNullable<String>
        let fileSHA256: JSONNullable<String>
        let python: JSONNullable<String>
        let packagesObject: JSONNullable<String>
        let packagesTool: JSONNullable<String>
        package let requirementsLock: LockFile
    }

    /// A serve file in the package.
    package struct AppFile: Encodable {
        package let path: String
        let sha256: String
        let size: Int64
        /// Its repository-relative path.
        let source: String
    }

    /// How the package serves the model.
    package struct Serve: Encodable {
        enum CodingKeys: String, CodingKey { case argv, command, workdir, port, health, image, files, sourceCommit = "source_commit" }
        let argv: [String]
        package let command: String
        package let workdir: String
        package let port: Int
        let health: String
        package let image: String
        package let files: [AppFile]
        let sourceCommit: JSONNullable<String>
    }

    let format = PackageManifest.format
    let model: String
    let version: Int
    let uri: String
    package let artifact: Artifact
    let lineage: Lineage
    package let environment: Environment
    package let serve: JSONNullable<Serve>
    let mlgateVersion: String
}

/// The Dockerfile and .dockerignore of a package that declares `serve`.
package enum Dockerfile {
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
