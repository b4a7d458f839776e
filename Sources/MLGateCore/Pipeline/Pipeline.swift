/// The stages of `mlgate.yaml` as a graph: a stage depends on another when it reads a path the other writes.
///
/// Built once from the config and validated: two stages writing one path, or a cycle, is an error that
/// names them. `order(targets:downstream:)` gives the stages to visit, upstream first.
public struct Pipeline: Sendable {
    /// The stages in the order the config lists them.
    public let stages: [StageSpec]
    /// For each stage index, the indices of the stages it reads from.
    public let upstream: [[Int]]

    /// Builds and validates the graph.
    public init(stages: [StageSpec]) throws(PipelineError) {
        self.stages = stages
        // One writer per path: an output may not equal or contain another stage's output.
        for (i, stage) in stages.enumerated() {
            let own = stage.writtenPaths
            for (a, first) in own.enumerated() {
                for second in own[(a + 1)...] where first.overlaps(second) {
                    throw PipelineError(.overlappingOutputs(stages: [stage.name], paths: [first.path, second.path]))
                }
            }
            for other in stages[(i + 1)...] {
                for mine in own {
                    if let theirs = other.writtenPaths.first(where: mine.overlaps) {
                        throw PipelineError(.overlappingOutputs(stages: [stage.name, other.name], paths: [mine.path, theirs.path]))
                    }
                }
            }
        }
        var upstream = Array(repeating: [Int](), count: stages.count)
        for (i, stage) in stages.enumerated() {
            let reads = stage.dependencies + stage.parameters.map { PathSpec($0.file) }
            for (j, writer) in stages.enumerated() where j != i {
                if reads.contains(where: { read in writer.writtenPaths.contains(where: read.overlaps) }) {
                    upstream[i].append(j)
                }
            }
            if let selfLoop = reads.first(where: { read in stage.writtenPaths.contains(where: read.overlaps) }) {
                throw PipelineError(.cycle([stage.name, stage.name], path: selfLoop.path))
            }
        }
        self.upstream = upstream
        if let cycle = Self.findCycle(upstream) {
            throw PipelineError(.cycle(cycle.map { stages[$0].name }, path: nil))
        }
    }

    /// The index of the stage named `name`.
    public func index(of name: String) -> Int? { stages.firstIndex { $0.name == name } }

    /// The stages to visit for `targets` (all stages when empty) in an order where every stage comes after
    /// the stages it reads from: the targets and everything upstream of them, or, with `downstream`, the
    /// targets and everything that reads from them.
    public func order(targets: [String], downstream: Bool = false) throws(PipelineError) -> [StageSpec] {
        var wanted = Set<Int>()
        if targets.isEmpty {
            wanted = Set(stages.indices)
        } else {
            var seeds: [Int] = []
            for target in targets {
                guard let index = index(of: target) else {
                    throw PipelineError(.unknownStage(target, known: stages.map(\.name)))
                }
                seeds.append(index)
            }
            let edges = downstream ? Self.reversed(upstream) : upstream
            var stack = seeds
            while let next = stack.popLast() {
                guard wanted.insert(next).inserted else { continue }
                stack.append(contentsOf: edges[next])
            }
        }
        return topologicalOrder().filter(wanted.contains).map { stages[$0] }
    }

    /// All stage indices, upstream first; ties keep the config's order.
    private func topologicalOrder() -> [Int] {
        var remaining = upstream.map(\.count)
        let downstream = Self.reversed(upstream)
        var ready = stages.indices.filter { remaining[$0] == 0 }
        var result: [Int] = []
        while !ready.isEmpty {
            let next = ready.removeFirst()
            result.append(next)
            for child in downstream[next] {
                remaining[child] -= 1
                if remaining[child] == 0 {
                    ready.append(child)
                    ready.sort()
                }
            }
        }
        return result
    }

    private static func reversed(_ edges: [[Int]]) -> [[Int]] {
        var result = Array(repeating: [Int](), count: edges.count)
        for (node, parents) in edges.enumerated() {
            for parent in parents { result[parent].append(node) }
        }
        return result
    }

    /// A cycle as a list of nodes ending where it starts, or nil.
    private static func findCycle(_ edges: [[Int]]) -> [Int]? {
        var state = Array(repeating: 0, count: edges.count)  // 0 unseen, 1 on the path, 2 done
        var path: [Int] = []
        func visit(_ node: Int) -> [Int]? {
            state[node] = 1
            path.append(node)
            for next in edges[node] {
                if state[next] == 1, let start = path.firstIndex(of: next) {
                    return Array(path[start...]) + [next]
                }
                if state[next] == 0, let found = visit(next) { return found }
            }
            path.removeLast()
            state[node] = 2
            return nil
        }
        for node in edges.indices where state[node] == 0 {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }
}

/// Why the pipeline in `mlgate.yaml` cannot run.
public struct PipelineError: MLGateError, Equatable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// Stages that read each other's outputs in a loop (the first name repeats at the end).
        case cycle([String], path: String?)
        /// Two outputs (of one stage or two) that are the same path or one inside the other.
        case overlappingOutputs(stages: [String], paths: [String])
        /// A stage name that is not in the config.
        case unknownStage(String, known: [String])
    }

    /// What is wrong.
    public var reason: Reason

    /// Creates an error.
    public init(_ reason: Reason) { self.reason = reason }

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        switch reason {
        case .cycle(let names, let path):
            if names.count == 2, names[0] == names[1] {
                return "stage '\(names[0])' reads '\(path ?? "?")', which it writes itself; a stage cannot depend on its own output."
            }
            return "the stages form a cycle: \(names.joined(separator: " → ")) (each reads an output of the next); break it by removing one dependency."
        case .overlappingOutputs(let stages, let paths):
            if stages.count == 1 {
                return "stage '\(stages[0])' declares '\(paths[0])' and '\(paths[1])', which overlap; declare each path once."
            }
            return "stages '\(stages[0])' and '\(stages[1])' both write '\(paths[0])'\(paths[0] == paths[1] ? "" : " / '\(paths[1])'"); each path must have one writer."
        case .unknownStage(let name, let known):
            return "no stage named '\(name)' in mlgate.yaml; the stages are \(known.isEmpty ? "(none)" : known.joined(separator: ", "))."
        }
    }
}
