import MLGateCore
import Yams

/// Reads the `models:` section: each model's artifact and lifecycle. (`evaluate` and `promotion` are read by
/// the gate; they are accepted here as they are.)
extension ConfigReader {
    static let modelKeys = ["artifact", "evaluate", "promotion", "lifecycle", "description"]

    func models(_ node: Node) throws(ConfigError) -> [ModelSpec] {
        var models: [ModelSpec] = []
        for (key, value) in try mapping(node, context: "'models'") {
            let name = try self.name(of: key)
            do { try ModelURI.validateName(name) } catch { throw self.error(at: key, error.description) }
            var model = ModelSpec(name: name)
            for (fieldNode, field) in try mapping(value, context: "model '\(name)'") {
                let fieldName = try self.name(of: fieldNode)
                switch fieldName {
                case "artifact": model.artifact = try repositoryPath(field, base: "", what: "the artifact of model '\(name)'")
                case "lifecycle": model.lifecycle = try lifecycle(field, model: name)
                case "evaluate", "promotion", "description": break
                default:
                    throw error(at: fieldNode, "unknown key '\(fieldName)' in model '\(name)'\(suggestion(fieldName, among: Self.modelKeys)); a model has \(Self.modelKeys.joined(separator: ", ")).")
                }
            }
            models.append(model)
        }
        return models
    }

    private func lifecycle(_ node: Node, model: String) throws(ConfigError) -> LifecycleSpec {
        var spec = LifecycleSpec(stages: [])
        let fields = try mapping(node, context: "the lifecycle of model '\(model)'")
        guard let stagesNode = fields["stages"], let stageList = stagesNode.sequence, !stageList.isEmpty else {
            throw error(at: node, "the lifecycle of model '\(model)' needs 'stages', a list such as [staging, production].")
        }
        for stageNode in stageList {
            guard let stage = stageNode.string, ModelURI.isValidStage(stage) else {
                throw error(at: stageNode, "a lifecycle stage is a plain name such as staging or production.")
            }
            guard !spec.stages.contains(stage) else { throw error(at: stageNode, "stage '\(stage)' is listed twice.") }
            spec.stages.append(stage)
        }
        for (keyNode, value) in fields where keyNode.string != "stages" {
            let stage = try name(of: keyNode)
            guard spec.stages.contains(stage) else {
                throw error(at: keyNode, "'\(stage)' is not one of the lifecycle stages (\(spec.stages.joined(separator: ", "))) of model '\(model)'.")
            }
            var requirement = StageRequirement()
            let settings = try mapping(value, context: "stage '\(stage)' of model '\(model)'")
            guard settings.count == 1, let requires = settings["requires"] else {
                throw error(at: value, "stage '\(stage)' has one key, 'requires': {gate: passed, approvals: N, branch: NAME}.")
            }
            for (requirementKey, requirementValue) in try mapping(requires, context: "the requirements of stage '\(stage)'") {
                switch requirementKey.string {
                case "gate":
                    guard requirementValue.string == "passed" else { throw error(at: requirementValue, "'gate' can only be 'passed'.") }
                    requirement.gate = true
                case "approvals":
                    guard let count = requirementValue.int, count >= 0, count <= 100 else {
                        throw error(at: requirementValue, "'approvals' must be a whole number from 0 to 100.")
                    }
                    requirement.approvals = count
                case "branch":
                    requirement.branch = try string(requirementValue, key: "branch")
                default:
                    throw error(at: requirementKey, "a stage requires gate, approvals or branch.")
                }
            }
            spec.requirements[stage] = requirement
        }
        return spec
    }
}
