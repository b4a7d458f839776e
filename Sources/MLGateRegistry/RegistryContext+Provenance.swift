package import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

extension RegistryContext {
    /// What to warn about (a sentence, without `warning:`) when registering run `number` when it ran with uncommitted changes (mlgate's own
    /// `mlgate.lock` aside): the version's commit does not hold exactly what was trained. Nil for a clean run.
    package func dirtyRunWarning(_ number: Int) throws -> String? {
        guard let run = try store.run(number), run.source.dirty else { return nil }
        let commit = run.source.commit.map { "commit \($0.prefix(10))" } ?? "its commit"
        return "run \(number) ran with uncommitted changes, so \(commit) does not hold exactly what was trained; "
            + "'mlgate runs show \(number) --diff' shows them. Commit them and run again to register a reproducible version."
    }
}

/// A promotion the lifecycle's requirements refuse (exit 1): what is missing. At a terminal `--force`
/// overrides it; a CI job never forces, so its messages use `reasons` alone.
package struct PromotionRefused: MLGateError {
    /// The version (`models:/churn/3`).
    let uri: String
    /// The stage it may not enter.
    let stage: String
    /// Each requirement not met.
    package let missing: [String]

    package var category: FailureCategory { .refused }
    /// Why, without advice.
    package var reasons: String { "\(uri) cannot enter \(stage): " + missing.joined(separator: "; ") }
    package var description: String { reasons + ". (--force overrides, and is recorded.)" }
}
