import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import MLGateCore
import MLGateWorkspace

/// What one model's gate led to in a CI job.
struct CIModelOutcome: Encodable {
    var model: String
    var passed: Bool
    var champion: String?
    var registered: String?
    var version: Int?
    var stages: [String] = []
    var waiting: String?
    var deployed: [String] = []
    var note: String?

    enum CodingKeys: String, CodingKey { case model, passed, champion, registered, version, stages, waiting, deployed, note }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(passed, forKey: .passed)
        try container.encode(champion, forKey: .champion)
        try container.encode(registered, forKey: .registered)
        try container.encode(version, forKey: .version)
        try container.encode(stages, forKey: .stages)
        try container.encode(waiting, forKey: .waiting)
        try container.encode(deployed, forKey: .deployed)
        try container.encode(note, forKey: .note)
    }
}

/// The result of a CI job, as `gate.json` holds it (docs/json.md).
struct CIResult {
    var context: CIContext
    var mode: String
    var action = "report"
    var defaultBranch: String?
    var passed = false
    var run: Int?
    var models: [CIModelOutcome] = []
    var changedRegistry = false
    var pushedTags: Int?
    var comment: String?
    var warnings: [String] = []
    /// Registry tags the sync refused (left out of the store), by name.
    var refusedTags: [String] = []
    var error: String?
}

/// An error whose text went through the secret redactor, with the category (exit code) of the original.
struct RedactedFailure: MLGateError {
    let category: FailureCategory
    let description: String
}
