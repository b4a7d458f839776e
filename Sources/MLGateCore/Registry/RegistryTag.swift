/// A registry tag in GTO's grammar, built and parsed in this one place.
///
/// | case | tag name | meaning |
/// |---|---|---|
/// | `version` | `churn@v3.0.0` | version 3 was registered on the tag's commit |
/// | `deregistration` | `churn@v3.0.0!` | version 3 was deleted |
/// | `stage` | `churn#production#7` | stage event 7 put a version into production |
/// | `unstage` | `churn#production!#8` | stage event 8 took the version out of production |
public enum RegistryTag: Hashable, Sendable, CustomStringConvertible {
    /// A registration: `MODEL@vN.0.0`.
    case version(model: String, number: Int)
    /// A deletion: `MODEL@vN.0.0!`.
    case deregistration(model: String, number: Int)
    /// A stage assignment, the model's stage event `counter`: `MODEL#STAGE#K`.
    case stage(model: String, stage: String, counter: Int)
    /// A stage unassignment: `MODEL#STAGE!#K`.
    case unstage(model: String, stage: String, counter: Int)

    /// The tag's short name (without `refs/tags/`).
    public var name: String {
        switch self {
        case .version(let model, let number): "\(model)@v\(number).0.0"
        case .deregistration(let model, let number): "\(model)@v\(number).0.0!"
        case .stage(let model, let stage, let counter): "\(model)#\(stage)#\(counter)"
        case .unstage(let model, let stage, let counter): "\(model)#\(stage)!#\(counter)"
        }
    }

    public var description: String { name }

    /// The model the tag is about.
    public var model: String {
        switch self {
        case .version(let model, _), .deregistration(let model, _), .stage(let model, _, _), .unstage(let model, _, _): model
        }
    }

    /// The stage-event number, for stage tags.
    public var counter: Int? {
        switch self {
        case .stage(_, _, let counter), .unstage(_, _, let counter): counter
        case .version, .deregistration: nil
        }
    }

    /// The largest version or stage-event number a tag may carry: far beyond any real registry, and far from
    /// `Int.max`, so arithmetic on a number read from a tag never overflows.
    public static let maximumNumber = 1_000_000_000

    /// The glob patterns that list every registry tag of `model` (every model when nil).
    public static func patterns(model: String? = nil) -> [String] {
        let prefix = model ?? "*"
        return ["\(prefix)@v*", "\(prefix)#*#*"]
    }

    /// Parses a tag name; nil when it is not a registry tag mlgate writes (other tags of the repository, or a
    /// name whose parts are not valid model or stage names). Only the canonical spelling parses, so a name
    /// read back always builds the same name.
    public init?(parsing name: String) {
        if let at = name.firstIndex(of: "@"), !name.contains("#") {
            let model = String(name[..<at])
            var rest = name[name.index(after: at)...]
            let removed = rest.hasSuffix("!")
            if removed { rest = rest.dropLast() }
            guard rest.hasPrefix("v"), rest.hasSuffix(".0.0"), let number = Int(rest.dropFirst().dropLast(4)),
                  (1...Self.maximumNumber).contains(number) else { return nil }
            self = removed ? .deregistration(model: model, number: number) : .version(model: model, number: number)
        } else {
            let parts = name.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 3, let counter = Int(parts[2]), (1...Self.maximumNumber).contains(counter) else { return nil }
            let model = String(parts[0])
            var stage = String(parts[1])
            let removed = stage.hasSuffix("!")
            if removed { stage.removeLast() }
            guard ModelURI.isValidStage(stage) else { return nil }
            self = removed ? .unstage(model: model, stage: stage, counter: counter) : .stage(model: model, stage: stage, counter: counter)
        }
        guard (try? ModelURI.validateName(model)) != nil, self.name == name else { return nil }
    }
}

extension RegistryTag {
    /// The tags the git mirror writes for one registry event: a registration's version tag, a deletion's
    /// deregistration tag, a promotion's stage tag (preceded by the unassignment of the stage it leaves, numbered
    /// `counter` and `counter + 1`), a demotion's unassignment. Other events write notes only.
    public static func written(action: String, model: String, version: Int, counter: Int?, stageBefore: String?, stageAfter: String?) -> [RegistryTag] {
        switch action {
        case "register":
            return [.version(model: model, number: version)]
        case "delete":
            return [.deregistration(model: model, number: version)]
        case "promote", "promote-forced":
            guard var counter, let stageAfter else { return [] }
            var tags: [RegistryTag] = []
            if let stageBefore {
                tags.append(.unstage(model: model, stage: stageBefore, counter: counter))
                counter += 1
            }
            return tags + [.stage(model: model, stage: stageAfter, counter: counter)]
        case "demote":
            guard let counter, let stageBefore else { return [] }
            return [.unstage(model: model, stage: stageBefore, counter: counter)]
        default:
            return []
        }
    }

    /// The stage in the tag's name, for stage tags.
    public var stage: String? {
        switch self {
        case .stage(_, let stage, _), .unstage(_, let stage, _): stage
        case .version, .deregistration: nil
        }
    }
}
