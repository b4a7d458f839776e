import Foundation
import MLGateTestSupport
import Testing
import Yams

/// The recorded environments under Fixtures/ci-env and the templates under ci-templates/.
enum CIFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let environments = root.appendingPathComponent("Fixtures/ci-env").path
    static let templates = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ci-templates").path

    /// Every recorded environment's name (`github-pr`, `gitlab-main`…).
    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: environments)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".event.json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The recorded variables of `name` with the placeholders filled in.
    static func variables(_ name: String, head: String, base: String, work: String, repository: String) throws -> [String: String] {
        let text = try String(contentsOfFile: environments + "/\(name).json", encoding: .utf8)
        let object = try JSONSerialization.jsonObject(with: Data(fill(text, head: head, base: base, work: work, repository: repository).utf8))
        return (object as? [String: String]) ?? [:]
    }

    static func fill(_ text: String, head: String, base: String, work: String, repository: String) -> String {
        text.replacingOccurrences(of: "{{HEAD_SHA}}", with: head).replacingOccurrences(of: "{{BASE_SHA}}", with: base)
            .replacingOccurrences(of: "{{WORK}}", with: work).replacingOccurrences(of: "{{REPO}}", with: repository)
    }

    /// Runs `mlgate ci` with `arguments` under the recorded environment `name` in a fresh depth-1 checkout.
    static func run(_ name: String, arguments: [String] = [], project: CIProject,
                    extra: [String: String] = [:]) throws -> (result: ProcessResult, checkout: String, work: String) {
        let unique = name + "-" + UUID().uuidString.prefix(8)
        let checkout = try project.checkout(name: unique)
        let work = project.fixture.base + "/work-" + unique
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let head = try project.fixture.head(in: checkout)
        var variables = try Self.variables(name, head: head, base: head, work: work, repository: checkout)
        let event = environments + "/\(name).event.json"
        if let text = try? String(contentsOfFile: event, encoding: .utf8) {
            try fill(text, head: head, base: head, work: work, repository: checkout).write(toFile: work + "/event.json", atomically: true, encoding: .utf8)
            variables["GITHUB_EVENT_PATH"] = work + "/event.json"
        }
        // A stand-in buildkite-agent records the annotation it is given.
        let bin = work + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"\(work)/annotation\"\n".write(toFile: bin + "/buildkite-agent", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/buildkite-agent")
        variables["PATH"] = bin + ":" + (project.fixture.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try project.fixture.mlgate(["ci"] + arguments, in: checkout, extraEnvironment: variables.merging(extra) { $1 })
        return (result, checkout, work)
    }
}

@Suite("mlgate ci under each provider's recorded environment")
struct CIProviderTests {
    @Test("detection, event and reports land where the provider reads them", arguments: CIFixtures.names)
    func recorded(_ name: String) throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let (result, checkout, work) = try CIFixtures.run(name, project: project)
        let provider = String(name.split(separator: "-")[0])
        let isPullRequest = name.hasSuffix("-pr") || name.hasSuffix("-mr")
        #expect(result.status == 0, "\(name): \(result)")
        let json = try jsonObject((try? String(contentsOfFile: checkout + "/mlgate-reports/gate.json", encoding: .utf8)) ?? "")
        #expect(json["provider"] as? String == provider, "\(name): \(json)")
        let expectedEvent = isPullRequest ? "pull_request" : name.hasSuffix("-tag") ? "tag" : name.hasSuffix("-schedule") ? "manual" : "push"
        #expect(json["event"] as? String == expectedEvent, "\(name): \(json)")
        #expect(json["fork"] as? Bool == name.contains("fork"), "\(name)")
        #expect(json["action"] as? String == (name.hasSuffix("-main") ? "register" : "report"), "\(name): \(json)")
        if isPullRequest { #expect(json["pull_request"] as? Int != nil, "\(name): \(json)") }
        #expect((json["missing_variables"] as? [String] ?? []).isEmpty || provider == "circleci", "\(name): \(json)")
        let junit = provider == "bitbucket" ? checkout + "/test-results/mlgate/junit.xml" : checkout + "/mlgate-reports/junit.xml"
        #expect(FileManager.default.fileExists(atPath: junit), "\(name): no JUnit at \(junit)")
        switch provider {
        case "github":
            let recorded = try CIFixtures.variables(name, head: "", base: "", work: work, repository: checkout)
            let summary = try? String(contentsOfFile: recorded["GITHUB_STEP_SUMMARY"] ?? "", encoding: .utf8)
            #expect(summary?.contains("# mlgate gate") == true, "\(name)")
            let outputs = keyValues(try? String(contentsOfFile: recorded["GITHUB_OUTPUT"] ?? "", encoding: .utf8))
            #expect(outputs["passed"] == "true", "\(name): \(outputs)")
        case "gitlab":
            #expect(keyValues(try? String(contentsOfFile: checkout + "/mlgate-reports/mlgate.env", encoding: .utf8))["MLGATE_PASSED"] == "true")
        case "azure":
            #expect(result.stdout.contains("##vso[task.uploadsummary]\(checkout)/mlgate-reports/gate.md"), "\(result.stdout)")
            #expect(result.stdout.contains("##vso[task.setvariable variable=passed;isOutput=true]true"), "\(result.stdout)")
        case "buildkite":
            let annotation = (try? String(contentsOfFile: work + "/annotation", encoding: .utf8)) ?? ""
            #expect(annotation.contains("annotate") && annotation.contains("# mlgate gate"), "\(annotation)")
        default:
            break
        }
        // Job tokens in the recorded environment never reach a report.
        let variables = try CIFixtures.variables(name, head: "", base: "", work: work, repository: checkout)
        for (key, value) in variables where key.contains("TOKEN") && value.count >= 8 {
            for (path, data) in try allFiles(under: checkout + "/mlgate-reports") {
                #expect(!String(decoding: data, as: UTF8.self).contains(value), "\(key) leaked into \(path)")
            }
        }
    }

    @Test("every template parses, and every 'mlgate ci' line in it runs under that provider's recorded environment")
    func templates() throws {
        let files = [("github", "github/workflow.yml"), ("github", "github/action.yml"), ("gitlab", "gitlab/.gitlab-ci.yml"),
                     ("azure", "azure/azure-pipelines.yml"), ("circleci", "circleci/config.yml"), ("bitbucket", "bitbucket/bitbucket-pipelines.yml"),
                     ("jenkins", "jenkins/Jenkinsfile")]
        var commands: [(String, [String])] = []
        for (provider, file) in files {
            let text = try String(contentsOfFile: CIFixtures.templates + "/" + file, encoding: .utf8)
            #expect(FileManager.default.fileExists(atPath: CIFixtures.templates + "/" + provider + "/README.md"), "\(provider) has no README")
            if file.hasSuffix(".yml") {
                #expect(try Yams.load(yaml: text) as? [String: Any] != nil, "\(file) does not parse as a YAML mapping")
            } else {
                #expect(text.contains("pipeline {") && text.contains("input") && text.contains("junit"), "\(file)")
            }
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "mlgate ci") else { continue }
                let words = shellWords(line[range.lowerBound...])
                guard words.count >= 2, words[1] == "ci" else { continue }
                let arguments = Array(words.dropFirst(2)).filter { !$0.hasPrefix("$") && !$0.isEmpty }
                commands.append((provider, arguments))
            }
        }
        #expect(Set(commands.map(\.0)).count == 6, "not every provider's template calls mlgate ci: \(commands.map(\.0))")
        #expect(Set(commands.filter { $0.1.contains("--retrain") }.map(\.0)) == ["github", "gitlab", "azure"], "the scheduled drift checks: \(commands)")
        let project = try CIProject()
        defer { project.fixture.remove() }
        for (provider, arguments) in commands {
            // The retraining runs in the scheduled job, so under a recorded scheduled environment; the rest under a pull request's.
            let environment = provider + (arguments.contains("--retrain") ? "-schedule" : "-pr")
            let (result, _, _) = try CIFixtures.run(environment, arguments: arguments.filter { $0 != "--comment" }, project: project)
            #expect(result.status == 0 || result.status == 1, "\(environment): mlgate ci \(arguments.joined(separator: " ")) → \(result)")
        }
    }

    @Test("every CI template is valid by its CI system's published schema; a damaged one is refused")
    func templateSchemas() throws {
        guard SchemaCheck.shouldRun else { return }
        let files = [("github-workflows", "github/workflow.yml"), ("github-workflows", "github/train.yml"), ("github-actions", "github/action.yml"),
                     ("gitlab-ci", "gitlab/.gitlab-ci.yml"), ("azure-pipelines", "azure/azure-pipelines.yml"), ("circle-ci", "circleci/config.yml"),
                     ("bitbucket-pipelines", "bitbucket/bitbucket-pipelines.yml")]
        for (schema, file) in files {
            #expect(try SchemaCheck.problems(format: schema, files: [CIFixtures.templates + "/" + file]) == [], "\(file)")
        }
        // The check can fail: a job key GitHub does not know.
        let damaged = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: damaged) }
        let text = try String(contentsOfFile: CIFixtures.templates + "/github/workflow.yml", encoding: .utf8)
        try text.replacingOccurrences(of: "runs-on:", with: "runs_on:").write(toFile: damaged, atomically: true, encoding: .utf8)
        #expect(try !SchemaCheck.problems(format: "github-workflows", files: [damaged]).isEmpty)
    }
}

/// The words of a shell command line up to its end or a `;`: double- or single-quoted strings are one word each
/// (quotes removed), so a quoted argument with spaces stays whole.
private func shellWords(_ line: Substring) -> [String] {
    var words: [String] = [], word = "", quote: Character?
    var started = false
    for character in line {
        if let open = quote {
            if character == open { quote = nil } else { word.append(character) }
        } else if character == "\"" || character == "'" {
            quote = character
            started = true
        } else if character == " " || character == ";" {
            if started || !word.isEmpty { words.append(word) }
            word = ""
            started = false
            if character == ";" { break }
        } else {
            word.append(character)
        }
    }
    if started || !word.isEmpty { words.append(word) }
    return words
}
