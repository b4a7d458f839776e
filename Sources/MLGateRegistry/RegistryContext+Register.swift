import Foundation
package import MLGateCore
import MLGateStore
import MLGateWorkspace

/// Where a new version's artifact comes from.
package enum VersionSource: Sendable {
    /// A succeeded run's cached output: `artifact` names it, else the model's `artifact` in mlgate.yaml.
    case run(Int, artifact: String?)
    /// A file or folder in the repository, stored now and linked to HEAD.
    case path(String)
}

extension RegistryContext {
    /// Registers the next version of `name` from `source` with `tags` and `description`, attaching the latest gate
    /// verdict recorded for the same artifact, and mirrors it to git. A dirty run is registered with a warning.
    package func register(_ name: String, from source: VersionSource, tags: [String: String], description: String?) throws -> ModelVersion {
        try ModelURI.validateName(name)
        var new: NewModelVersion
        switch source {
        case .run(let number, let artifact):
            new = try versionFromRun(number, model: name, artifact: artifact)
            if let warning = try dirtyRunWarning(number) { reporter.warning(warning) }
        case .path(let path):
            new = try versionFromPath(path)
        }
        new.tags.merge(tags) { $1 }
        new.description = description
        if let spec = try? workspace.configuration().models.first(where: { $0.name == name }) {
            new.profile = captureProfile(of: spec, root: workspace.root, dataHashes: new.dataHashes)
        }
        if let verdict = try store.latestVerdict(model: name, artifact: new.artifact) {
            new.verdict = verdict.json
            new.verdictDigest = verdict.digest
            new.verdictPassed = verdict.passed
        }
        let version = try store.register(model: name, new, by: actor(reason: description))
        publish()
        return version
    }
}
