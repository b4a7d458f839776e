import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateSystem
package import MLGateCore
import MLGateEvaluation
import MLGateWorkspace

/// Writes a CI job's result where its CI system shows it: the Markdown summary, JUnit XML, the JSON result and a
/// dotenv file into the reports folder, plus each provider's own channel (GitHub's step summary and outputs,
/// Azure's logging commands, a Buildkite annotation). Every text passes through the secret redactor.
package struct CIReportWriter {
    package let job: CIJob
    package let verdicts: [Verdict]

    private var context: CIContext { job.context }
    private var result: CIResult { job.result }

    /// The folder for reports, relative to the current directory unless absolute.
    package var folder: String { Files.absolute(job.options.reports ?? ((try? job.workspace.configuration().ci.reports) ?? nil) ?? "mlgate-reports") }
    package var markdownPath: String { job.options.markdown.map(Files.absolute) ?? folder + "/gate.md" }
    package var junitPath: String {
        job.options.junit.map(Files.absolute) ?? (context.provider == .bitbucket ? Files.absolute("test-results/mlgate/junit.xml") : folder + "/junit.xml")
    }
    package var jsonPath: String { job.options.json.map(Files.absolute) ?? folder + "/gate.json" }
    package var dotenvPath: String { folder + "/mlgate.env" }
    /// The HTML report of `model`'s gate, `gate-MODEL.html` in the reports folder (kept with the job's artifacts).
    package func pagePath(_ model: String) -> String {
        folder + "/gate-" + String(model.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }) + ".html"
    }

    /// Writes every file and provider channel; each failure is a warning.
    package func writeAll() {
        let markdown = self.markdown()
        write(markdown, to: markdownPath)
        if !verdicts.isEmpty { write(VerdictReport.junit(verdicts), to: junitPath) }
        for (model, page) in job.pages { write(page, to: pagePath(model)) }
        write(json(), to: jsonPath)
        write(dotenv().map { "\($0.0)=\($0.1)" }.joined(separator: "\n") + "\n", to: dotenvPath)
        switch context.provider {
        case .github: github(markdown)
        case .azure: azure()
        case .buildkite: buildkite(markdown)
        default: break
        }
        job.reporter.progress("mlgate ci: reports in \(folder)" + (junitPath.hasPrefix(folder) ? "" : " and \(junitPath)"))
    }

    // MARK: - Contents

    /// The Markdown summary: the decision, where it ran, each verdict, what happened next.
    package func markdown() -> String {
        var lines: [String] = []
        let mode = result.mode == "release" ? "release" : "gate"
        let decision = result.error != nil ? "⚠️ error" : (result.passed ? "✅ passed" : "❌ refused")
        lines.append("# mlgate \(mode): \(decision)")
        lines.append("")
        lines.append("\(context.summary)" + (context.runURL.map { " · [job](\($0))" } ?? ""))
        if let error = result.error { lines += ["", "**Error:** \(error)"] }
        for verdict in verdicts {
            lines += ["", VerdictReport.markdown(verdict)]
            if job.pages[verdict.model] != nil {
                let page = pagePath(verdict.model), base = Files.currentDirectory() + "/"
                let shown = page.hasPrefix(base) ? String(page.dropFirst(base.count)) : page
                lines.append("HTML report with the ROC and precision–recall curves: `\(shown)` (kept with the job's artifacts).")
            }
        }
        if !result.models.isEmpty {
            lines += ["", "### What happened", ""]
            for model in result.models { lines.append("- **\(model.model)**: " + Self.describe(model)) }
        }
        if !result.warnings.isEmpty {
            lines += ["", "### Warnings", ""]
            lines += result.warnings.map { "- \($0)" }
        }
        return job.secrets.redact(lines.joined(separator: "\n")) + "\n"
    }

    /// One model's outcome in words.
    package static func describe(_ model: CIModelOutcome) -> String {
        var parts: [String] = []
        if let registered = model.registered { parts.append("registered \(registered)") }
        if !model.stages.isEmpty { parts.append("promoted to " + model.stages.joined(separator: " → ")) }
        if !model.deployed.isEmpty { parts.append("deployed to " + model.deployed.joined(separator: ", ")) }
        if let waiting = model.waiting { parts.append("waiting: \(waiting)") }
        if let note = model.note { parts.append(note) }
        if parts.isEmpty { parts.append(model.passed ? "passed" : "failed") }
        return parts.joined(separator: "; ")
    }

    /// The JSON result (docs/json.md, "mlgate ci").
    package func json() -> String {
        let verdictTexts = verdicts.compactMap { try? JSONDocument.text($0) }
        let models = result.models.compactMap { try? JSONDocument.text($0) }
        let quoted = JSONText.quoted(orNull:)
        let fields: [(String, String)] = [
            ("action", quoted(result.action)),
            ("base_branch", quoted(context.baseBranch)),
            ("base_commit", quoted(context.baseCommit)),
            ("branch", quoted(context.branch)),
            ("comment", quoted(result.comment)),
            ("commit", quoted(context.commit)),
            ("default_branch", quoted(result.defaultBranch)),
            ("error", quoted(result.error)),
            ("event", quoted(context.event.rawValue)),
            ("fork", context.isFork ? "true" : "false"),
            ("head_commit", quoted(context.headCommit)),
            ("missing_variables", "[" + context.missing.map(JSONText.quoted).joined(separator: ",") + "]"),
            ("mode", quoted(result.mode)),
            ("models", "[" + models.joined(separator: ",") + "]"),
            ("passed", result.passed && result.error == nil ? "true" : "false"),
            ("provider", quoted(context.provider.rawValue)),
            ("pull_request", context.pullRequest.map(String.init) ?? "null"),
            ("pushed_tags", result.pushedTags.map(String.init) ?? "null"),
            ("run", result.run.map(String.init) ?? "null"),
            ("run_url", quoted(context.runURL)),
            ("tag", quoted(context.tag)),
            ("verdicts", "[" + verdictTexts.joined(separator: ",") + "]"),
            ("warnings", "[" + result.warnings.map(JSONText.quoted).joined(separator: ",") + "]"),
        ]
        return job.secrets.redact(JSONText.object(fields) + "\n")
    }

    /// Name/value pairs for dotenv files and step outputs: the job's result, the first model's (for a repository
    /// with one model, as before), the list of models, and every model's own result under its key
    /// (`MLGATE_CHURN_PASSED`, `MLGATE_CHURN_VERSION`, …), so a monorepo's later jobs see each one.
    package func dotenv() -> [(String, String)] {
        let first = result.models.first
        var pairs = [
            ("MLGATE_PASSED", result.passed && result.error == nil ? "true" : "false"),
            ("MLGATE_MODEL", first?.model ?? ""),
            ("MLGATE_VERSION", first?.version.map(String.init) ?? ""),
            ("MLGATE_CHAMPION", first?.champion ?? ""),
            ("MLGATE_REPORT", markdownPath),
            ("MLGATE_MODELS", result.models.map(\.model).joined(separator: " ")),
        ]
        for model in result.models {
            let prefix = "MLGATE_" + Self.variableKey(model.model) + "_"
            pairs += [
                (prefix + "PASSED", model.passed ? "true" : "false"),
                (prefix + "VERSION", model.version.map(String.init) ?? ""),
                (prefix + "CHAMPION", model.champion ?? ""),
                (prefix + "REGISTERED", model.registered ?? ""),
            ]
        }
        return pairs.map { ($0.0, job.secrets.redact($0.1).replacingOccurrences(of: "\n", with: " ")) }
    }

    /// A model name as part of a variable name: upper case, every character but a letter or digit as `_`
    /// (`churn-v2` → `CHURN_V2`).
    package static func variableKey(_ model: String) -> String {
        String(model.uppercased().unicodeScalars.map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) ? Character(scalar) : "_"
        })
    }

    // MARK: - Providers

    /// GitHub: the step summary, step outputs, and an annotation per model.
    private func github(_ markdown: String) {
        let environment = job.jobEnvironment
        if let summary = environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty { append(markdown, to: summary) }
        if let output = environment["GITHUB_OUTPUT"], !output.isEmpty {
            let lines = dotenv().map { "\($0.0.dropFirst("MLGATE_".count).lowercased())=\($0.1)" }
            append(lines.joined(separator: "\n") + "\n", to: output)
        }
        for model in result.models {
            let text = Self.escapeAnnotation("\(model.model): \(Self.describe(model))")
            job.reporter.output(model.passed ? "::notice title=mlgate \(model.model)::\(text)" : "::error title=mlgate \(model.model)::\(text)")
        }
        if let error = result.error { job.reporter.output("::error title=mlgate::\(Self.escapeAnnotation(error))") }
    }

    /// Azure Pipelines: the summary tab, output variables, and an issue on failure.
    private func azure() {
        job.reporter.output("##vso[task.uploadsummary]\(markdownPath)")
        for (name, value) in dotenv() {
            job.reporter.output("##vso[task.setvariable variable=\(name.dropFirst("MLGATE_".count).lowercased());isOutput=true]\(Self.escapeAzure(value))")
        }
        if !result.passed || result.error != nil {
            job.reporter.output("##vso[task.logissue type=error]\(Self.escapeAzure(result.error ?? "mlgate: the \(result.mode) was refused; see the mlgate summary"))")
        }
    }

    /// Buildkite: an annotation on the build, when the agent is there.
    private func buildkite(_ markdown: String) {
        guard let child = try? ChildProcess(argv: ["buildkite-agent", "annotate", markdown, "--style", result.passed ? "success" : "error",
                                                   "--context", "mlgate-\(result.mode)"],
                                            directory: job.workspace.root,
                                            environment: job.git.environment.map { "\($0.key)=\($0.value)" }) else {
            return job.warn("buildkite-agent is not on PATH: the summary is only in \(markdownPath)")
        }
        child.readLines { _ in }
        if child.wait() != 0 { job.warn("buildkite-agent annotate failed: the summary is only in \(markdownPath)") }
    }

    // MARK: - The pull request comment

    /// Posts or updates the sticky comment; never changes the verdict.
    package func comment(token: String?) {
        guard context.event == .pullRequest, let number = context.pullRequest else {
            return job.warn("--comment: this job is not for a pull request, so there is nothing to comment on")
        }
        guard !context.isFork else { return job.warn("--comment: skipped on a pull request from a fork (no token is handed to fork jobs)") }
        guard let token else {
            let variable = context.provider == .gitlab ? "MLGATE_GITLAB_TOKEN" : "GITHUB_TOKEN"
            return job.warn("--comment: \(variable) is not set, so no comment was posted (the verdict is in the reports)")
        }
        let outcome = CIComment.post(provider: context.provider, number: number, body: markdown(), token: token,
                                     marker: "<!-- mlgate:\(result.mode) -->", environment: job.jobEnvironment)
        switch outcome {
        case .success(let text):
            job.result.comment = text
            job.say(text)
        case .failure(let problem):
            job.warn("--comment: " + job.secrets.redact(problem.description))
        }
        // The JSON result records the comment's fate too.
        write(json(), to: jsonPath)
    }

    /// The JSON result of a job that could not start (no repository, unreadable git files): the error, redacted.
    package static func writeStartupFailure(_ error: any Error, options: CIOptions) {
        let environment = ProcessInfo.processInfo.environment
        let text = CISecrets(environment: environment).redact(String(describing: error))
        let provider = options.provider ?? CIContext.provider(in: environment).rawValue
        let path = options.json.map(Files.absolute) ?? Files.absolute(options.reports ?? "mlgate-reports") + "/gate.json"
        let json = #"{"error":\#(JSONText.quoted(text)),"mode":\#(JSONText.quoted(options.release ? "release" : "gate")),"passed":false,"provider":\#(JSONText.quoted(provider))}"# + "\n"
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? AtomicFile.write(json, to: path)
    }

    // MARK: - Files

    private func write(_ text: String, to path: String) {
        do {
            try FileAccess.createDirectory((path as NSString).deletingLastPathComponent)
            try AtomicFile.write(text, to: path)
        } catch {
            job.warn("could not write \(path): \(error)")
        }
    }

    private func append(_ text: String, to path: String) {
        guard let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            return job.warn("could not append to \(path)")
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }


    /// GitHub workflow-command data: %, CR and LF escaped.
    package static func escapeAnnotation(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Azure logging-command values: %, CR, LF, ';' and ']' escaped.
    package static func escapeAzure(_ text: String) -> String {
        escapeAnnotation(text).replacingOccurrences(of: ";", with: "%3B").replacingOccurrences(of: "]", with: "%5D")
    }
}
