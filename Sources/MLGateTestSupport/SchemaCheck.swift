import Foundation

/// Checks files with the published definitions of the systems that read them (`schema_check.py` beside this file):
/// `mlgate endpoint export`'s by KServe's SDK models of its CRD, Azure ML's own YAML loaders and the Compose
/// Specification's JSON schema; the CI templates by their CI systems' schemas. They come from PyPI (`kserve`,
/// `azure-ai-ml`, `check-jsonschema`), which `.ci/run` installs into a venv named in `MLGATE_SCHEMA_PYTHON`.
public enum SchemaCheck {
    /// The Python that has the three packages: `$MLGATE_SCHEMA_PYTHON`, else the venv `.ci/run` makes; nil when
    /// neither exists.
    public static var python: String? {
        [ProcessInfo.processInfo.environment["MLGATE_SCHEMA_PYTHON"], "/tmp/schema-venv/bin/python"].compactMap { $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the tests that need the checker run: when it is installed, and always under `CI=true` (where its
    /// absence fails them).
    public static var shouldRun: Bool { python != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The problems the definition of `format` (`kserve`, `azure`, `compose`, `github-workflows`, `gitlab-ci`…, as
    /// `schema_check.py` lists them) finds in `files`, each naming the file and field; empty when every file is valid.
    public static func problems(format: String, files: [String]) throws -> [String] {
        guard let python else {
            throw TestSupportError("the schema checker's Python is not installed: python3 -m venv /tmp/schema-venv && /tmp/schema-venv/bin/pip install kserve azure-ai-ml check-jsonschema (or set MLGATE_SCHEMA_PYTHON)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("schema_check.py").path
        let result = try runProcess(python, [script, format] + files, in: FileManager.default.currentDirectoryPath,
                                    environment: ProcessInfo.processInfo.environment)
        guard let data = result.stdout.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let problems = object["problems"] as? [String] else {
            throw TestSupportError("schema_check.py \(format) gave no verdict (exit \(result.status)): \(result.stderr.suffix(2000))")
        }
        return problems
    }
}
