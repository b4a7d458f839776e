import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateConfig
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

extension RegistryContext {
    /// The registry of the current worktree, reporting to the terminal.
    static func current() throws -> RegistryContext { try current(reporter: TerminalReporter()) }

    /// `KEY=VALUE` strings as a dictionary.
    static func parseTags(_ tags: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for tag in tags {
            guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else {
                throw UsageError("'\(tag)' is not a tag: write KEY=VALUE.")
            }
            result[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
        }
        return result
    }

}

/// A model version as `--json` prints it.
struct ModelVersionJSON: Encodable {
    let version: ModelVersion
    init(_ version: ModelVersion) { self.version = version }

    enum Keys: String, CodingKey {
        case model, version, uri, artifact, artifactIsDirectory = "artifact_is_directory", sourcePath = "source_path", commit, run
        case dataHashes = "data_hashes", verdictDigest = "verdict_digest", gatePassed = "gate_passed", branch, description, tags, status, stage, aliases
        case createdAt = "created_at", createdBy = "created_by", profile
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version.model, forKey: .model)
        try container.encode(version.version, forKey: .version)
        try container.encode(version.uri, forKey: .uri)
        try container.encode(version.artifact, forKey: .artifact)
        try container.encode(version.artifactIsDirectory, forKey: .artifactIsDirectory)
        try container.encode(version.sourcePath, forKey: .sourcePath)
        try container.encode(version.commit, forKey: .commit)
        try container.encode(version.run, forKey: .run)
        try container.encode(version.dataHashes, forKey: .dataHashes)
        try container.encode(version.verdictDigest, forKey: .verdictDigest)
        try container.encode(version.gatePassed, forKey: .gatePassed)
        try container.encode(version.branch, forKey: .branch)
        try container.encode(version.description, forKey: .description)
        try container.encode(version.tags, forKey: .tags)
        try container.encode(version.status, forKey: .status)
        try container.encode(version.stage, forKey: .stage)
        try container.encode(version.aliases, forKey: .aliases)
        try container.encode(Output.timestamp(version.createdAt / 1000), forKey: .createdAt)
        try container.encode(version.createdBy, forKey: .createdBy)
        try container.encode(version.profile, forKey: .profile)
    }
}

/// An audit row as `--json` prints it.
struct AuditJSON: Encodable {
    let entry: AuditEntry
    init(_ entry: AuditEntry) { self.entry = entry }

    enum Keys: String, CodingKey {
        case sequence, at, atMilliseconds = "at_ms", actor, action, subject, before, after, reason, verdictDigest = "verdict_digest"
        case previousHash = "previous_hash", hash
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(entry.sequence, forKey: .sequence)
        try container.encode(Output.timestamp(entry.at / 1000), forKey: .at)
        try container.encode(entry.at, forKey: .atMilliseconds)
        try container.encode(entry.actor, forKey: .actor)
        try container.encode(entry.action, forKey: .action)
        try container.encode(entry.subject, forKey: .subject)
        try container.encode(entry.before, forKey: .before)
        try container.encode(entry.after, forKey: .after)
        try container.encode(entry.reason, forKey: .reason)
        try container.encode(entry.verdictDigest, forKey: .verdictDigest)
        try container.encode(entry.previousHash, forKey: .previousHash)
        try container.encode(entry.hash, forKey: .hash)
    }
}

/// A registry event as `--json` prints it.
struct EventJSON: Encodable {
    let id: Int
    let kind: String
    let model: String
    let version: Int?
    let payload: String
    let createdAt: String
    /// Why the git mirror set the event aside (it can never be written to git), or nil.
    let mirrorError: String?

    enum CodingKeys: String, CodingKey { case id, kind, model, version, payload, createdAt = "created_at", mirrorError = "mirror_error" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(payload, forKey: .payload)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(mirrorError, forKey: .mirrorError)
    }
}

extension String {
    /// nil for an empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
