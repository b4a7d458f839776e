package import MLGateRegistry
import MLGatePipeline
import Foundation
package import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// `mlgate ci --release`: the release gate. Finds the version to release, checks that its gate passed and
/// that the lifecycle's requirements (approvals, branch) hold for every stage up to the target, promotes it
/// there and deploys it. Anything missing refuses the release (exit 1) with the reason.
package struct CIRelease {
    package let job: CIJob
    package let registry: RegistryContext
    package let configuration: MLGateConfiguration
    /// The git remote the registry came from (nil without one).
    package let remote: String?

    package func run() throws {
        let specs = try job.selectedModels(configuration, toGate: false)
        job.result.action = "release"
        job.result.passed = true
        for spec in specs {
            var outcome = CIModelOutcome(model: spec.name, passed: false)
            defer { job.result.models.append(outcome) }
            let fromTag = try tagged(spec.name)
            let stage = try job.options.stage ?? fromTag?.stage ?? job.promotionTarget(spec, configuration: configuration)
            guard let version = try chosenVersion(spec.name, tagged: fromTag?.version) else {
                outcome.note = "no version of \(spec.name) was registered from this commit; name one with --version N"
                job.result.passed = false
                job.say("release refused: \(outcome.note ?? "")")
                continue
            }
            outcome.version = version.version
            guard version.gatePassed == true else {
                outcome.note = "\(version.uri) has \(version.gatePassed == false ? "a failed" : "no") gate verdict; only a version that passed its gate is released"
                job.result.passed = false
                job.say("release refused: \(outcome.note ?? "")")
                continue
            }
            let lifecycle = try registry.lifecycle(of: spec.name)
            guard let targetIndex = lifecycle.stages.firstIndex(of: stage) else {
                throw UsageError("'\(stage)' is not a lifecycle stage of model '\(spec.name)' (its stages are \(lifecycle.stages.joined(separator: ", "))).")
            }
            // Check every stage still to enter before changing anything. The target stage is always checked, even
            // when the version already holds it (a stage tag pushed by hand must not skip approvals or the branch rule).
            let start = min(version.stage.flatMap { lifecycle.stages.firstIndex(of: $0) }.map { $0 + 1 } ?? 0, targetIndex)
            var missing: [String] = []
            for position in start...targetIndex {
                let approvals = try registry.store.approvals(model: spec.name, version: version.version, stage: lifecycle.stages[position]).count
                missing += try lifecycle.missing(to: lifecycle.stages[position], from: position == 0 ? nil : lifecycle.stages[position - 1],
                                                 gatePassed: version.gatePassed, approvals: approvals, branch: version.branch)
                    .map { "\(lifecycle.stages[position]): \($0)" }
            }
            guard missing.isEmpty else {
                outcome.waiting = missing.joined(separator: "; ")
                outcome.note = "release refused"
                job.result.passed = false
                job.say("release of \(version.uri) to \(stage) refused: \(outcome.waiting ?? "")")
                continue
            }
            // The artifact must be here before anything moves: a deploy that cannot happen must not promote.
            try job.pullObjects(registry, configuration: configuration, versions: [version], remote: remote)
            outcome.waiting = try job.promote(version, towards: stage, registry: registry, reason: "released by mlgate ci --release", outcome: &outcome)
            let promoted = try registry.store.resolve(ModelURI(name: spec.name, selector: .version(version.version)))
            job.scheduleDeploy(promoted)
            outcome.passed = outcome.waiting == nil
            job.result.passed = job.result.passed && outcome.passed
            outcome.note = outcome.stages.isEmpty ? "\(version.uri) already holds \(stage); deployed again where it is served" : "released \(version.uri)"
        }
    }

    /// The stage and version a pushed registry tag names (`churn#production#4` or `churn@v3.0.0`); an
    /// unassignment tag (`churn#production!#5`), and a tag the registry's sync refused, release nothing.
    private func tagged(_ model: String) throws -> (stage: String?, version: Int?)? {
        guard job.context.event == .tag, let name = job.context.tag, let tag = RegistryTag(parsing: name), tag.model == model else { return nil }
        if job.result.refusedTags.contains(name) {
            throw RegistryError(.refused, "the tag \(name) was refused by the registry's sync (see the warnings above); it releases nothing.")
        }
        switch tag {
        case .version(_, let number):
            return (nil, number)
        case .deregistration:
            throw RegistryError(.refused, "the tag \(name) deletes a version; there is nothing to release.")
        case .unstage(_, let stage, _):
            throw RegistryError(.refused, "the tag \(name) takes a version out of \(stage); there is nothing to release.")
        case .stage(_, let stage, _):
            // The version from mlgate's message, else the version tag on the same commit (a stage tag GTO wrote).
            let repository = try? GitRepository.open(at: registry.workspace.root)
            let found = (try? repository?.annotatedTags(matching: name))??.first
            let message = found.flatMap { try? JSONDecoder().decode(RegistryMessage.self, from: Data($0.message.utf8)) }
            let version = message?.version ?? found.flatMap { stageTag in
                ((try? repository?.annotatedTags(matching: "\(model)@v*")) ?? [])?.lazy.filter { $0.target == stageTag.target }
                    .compactMap { RegistryTag(parsing: $0.name) }.compactMap { tag -> Int? in
                        if case .version(_, let number) = tag { return number }
                        return nil
                    }.first
            }
            return (stage, version)
        }
    }

    /// --version, else the tag's version, else the newest active version built from this commit (never a version
    /// from another commit: a release job releases what its commit built, or what it is told).
    private func chosenVersion(_ model: String, tagged: Int?) throws -> ModelVersion? {
        if let number = job.options.version ?? tagged {
            return try registry.store.resolve(ModelURI(name: model, selector: .version(number)))
        }
        let versions = try registry.store.versions(model: model)
        let commits = Set([job.context.commit, job.context.headCommit].compactMap { $0 })
        return versions.first { $0.status == "active" && $0.commit.map(commits.contains) == true }
    }
}
