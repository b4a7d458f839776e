/// What a CI job was asked to do: which models, gate or release, where reports go, which remote and branch.
/// `mlgate ci`'s options, as the job reads them.
package struct CIOptions: Sendable {
    /// Gate only these models (empty: every model with promotion criteria).
    package var models: [String] = []
    /// Release-gate mode: check a version's verdict and approvals, promote and deploy it.
    package var release = false
    /// The lifecycle stage to promote towards.
    package var stage: String?
    /// With `release`: the version to release.
    package var version: Int?
    /// Deploy targets to update.
    package var targets: [String] = []
    /// Post or update one comment on the pull request.
    package var comment = false
    /// The folder for reports.
    package var reports: String?
    /// Where to write the JUnit XML.
    package var junit: String?
    /// Where to write the Markdown summary.
    package var markdown: String?
    /// Where to write the JSON result.
    package var json: String?
    /// The CI system, instead of detecting it (a `CIProvider` raw value).
    package var provider: String?
    /// The default branch, instead of the CI system's or the configuration's.
    package var defaultBranch: String?
    /// The git remote for the registry's tags and notes.
    package var remote: String?
    /// Do not push the registry or objects after changing them.
    package var noPush = false
    /// Why the model is retrained (the drift a scheduled check found): a scheduled or manual job on the default
    /// branch then registers and promotes what passes its gate, as a push to it would; nil for an ordinary job.
    package var retrain: String?
    /// Train on the executor (`executor:` in mlgate.yaml) instead of this runner: dispatch, follow, pull its outputs.
    package var dispatch = false

    /// Options with every default: gate every model, reports in the configured folder.
    package init() {}
}
