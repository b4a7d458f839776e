import MLGateRegistry
import MLGatePipeline
package import MLGateCore
import MLGateWorkspace

/// What one model's gate led to in a CI job.
package struct CIModelOutcome: Encodable {
    package var model: String
    package var passed: Bool
    package var champion: String?
    package var registered: String?
    package var version: Int?
    package var stages: [String] = []
    package var waiting: String?
    package var deployed: [String] = []
    package var note: String?

    package enum CodingKeys: String, CodingKey { case model, passed, champion, registered, version, stages, waiting, deployed, note }

    package func encode(to encoder: any Encoder) throws {
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
package struct CIResult {
    package var context: CIContext
    package var mode: String
    package var action = "report"
    package var defaultBranch: String?
    package var passed = false
    package var run: Int?
    package var models: [CIModelOutcome] = []
    package var changedRegistry = false
    package var pushedTags: Int?
    package var comment: String?
    package var warnings: [String] = []
    /// Registry tags the sync refused (left out of the store), by name.
    package var refusedTags: [String] = []
    package var error: String?
}

/// An error whose text went through the secret redactor, with the category (exit code) of the original.
package struct RedactedFailure: MLGateError {
    package let category: FailureCategory
    package let description: String
}
