import MLGateDeploy
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
        let destination = (Files.absolute(out) as NSString).standardizingPath
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
