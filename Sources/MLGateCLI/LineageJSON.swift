import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import MLGateCore
import MLGateWorkspace

/// The `--json` shape of one recorded commit (documented in docs/json.md).
struct LineageJSON: Encodable {
    struct Person: Encodable {
        let name: String
        let email: String
        let date: String

        init(_ signature: Signature) {
            name = signature.name
            email = signature.email
            date = Output.timestamp(signature.time, offsetMinutes: signature.offsetMinutes)
        }
    }

    struct RewriteLink: Encodable {
        let commit: String
        let kind: String
    }

    let commit: String
    let parents: [String]
    let tree: String
    let branch: JSONNullable<String>
    let author: Person
    let committer: Person
    let subject: String
    let projects: [String]
    let source: String
    let event: String
    let recordedAt: String
    let parentsMissing: Bool
    let rewrittenFrom: [RewriteLink]
    let rewrittenTo: [RewriteLink]

    init(_ entry: LineageEntry) {
        let commit = entry.commit
        self.commit = commit.facts.id.hex
        parents = commit.facts.parents.map(\.hex)
        tree = commit.facts.tree.hex
        branch = JSONNullable(commit.branch)
        author = Person(commit.facts.author)
        committer = Person(commit.facts.committer)
        subject = commit.facts.subject
        projects = commit.facts.projects
        source = commit.source.rawValue
        event = commit.event.rawValue
        recordedAt = Output.timestamp(commit.recordedAt)
        parentsMissing = commit.facts.parentsMissing
        rewrittenFrom = entry.rewrittenFrom.map { RewriteLink(commit: $0.old.hex, kind: $0.kind.rawValue) }
        rewrittenTo = entry.rewrittenTo.map { RewriteLink(commit: $0.new.hex, kind: $0.kind.rawValue) }
    }
}
