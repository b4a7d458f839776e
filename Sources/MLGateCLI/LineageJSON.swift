import MLGateCore

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
    let branch: String?
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
        branch = commit.branch
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

    enum CodingKeys: String, CodingKey {
        case commit, parents, tree, branch, author, committer, subject, projects, source, event, recordedAt,
             parentsMissing, rewrittenFrom, rewrittenTo
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commit, forKey: .commit)
        try container.encode(parents, forKey: .parents)
        try container.encode(tree, forKey: .tree)
        try container.encode(branch, forKey: .branch)  // null when detached: the key is always there
        try container.encode(author, forKey: .author)
        try container.encode(committer, forKey: .committer)
        try container.encode(subject, forKey: .subject)
        try container.encode(projects, forKey: .projects)
        try container.encode(source, forKey: .source)
        try container.encode(event, forKey: .event)
        try container.encode(recordedAt, forKey: .recordedAt)
        try container.encode(parentsMissing, forKey: .parentsMissing)
        try container.encode(rewrittenFrom, forKey: .rewrittenFrom)
        try container.encode(rewrittenTo, forKey: .rewrittenTo)
    }
}
