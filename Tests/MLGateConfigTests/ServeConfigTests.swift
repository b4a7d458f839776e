import Foundation
import MLGateConfig
import MLGateCore
import Testing

@Suite("a model's serve section in mlgate.yaml")
struct ServeConfigTests {
    @Test("every key is read; files are resolved against wdir; defaults for port, health and image")
    func fullAndDefaults() throws {
        let configuration = try ConfigLoader.parse("""
            version: 1
            models:
              churn:
                serve:
                  wdir: models/churn
                  cmd: [python3, serve.py, --model, "{model}", --port, "{port}"]
                  files: [serve.py, predict.py, ../shared/]
                  port: 9000
                  health: /healthz
                  image: python:3.11-slim
              other:
                serve:
                  cmd: python3 serve.py --model {model} --port {port}
                  files: serve.py
            """, file: "mlgate.yaml")
        let churn = try #require(configuration.models.first { $0.name == "churn" }?.serve)
        #expect(churn.command == .arguments(["python3", "serve.py", "--model", "{model}", "--port", "{port}"]))
        #expect(churn.workingDirectory == "models/churn")
        #expect(churn.files == [PathSpec("models/churn/serve.py"), PathSpec("models/churn/predict.py"), PathSpec("models/shared", isDirectory: true)])
        #expect(churn.port == 9000 && churn.health == "/healthz" && churn.image == "python:3.11-slim")
        let other = try #require(configuration.models.first { $0.name == "other" }?.serve)
        #expect(other.command == .shell("python3 serve.py --model {model} --port {port}"))
        #expect(other.workingDirectory == "" && other.files == [PathSpec("serve.py")])
        #expect(other.port == 8080 && other.health == "/health" && other.image == nil)
        #expect(other.baseImage(recordedPython: "Python 3.11.7") == "python:3.11-slim" && other.baseImage(recordedPython: nil) == "python:3.12-slim")
        #expect(other.baseImage(recordedPython: "Python 2.7.18") == "python:3.12-slim" && churn.baseImage(recordedPython: "Python 3.10.1") == "python:3.11-slim")
        #expect(try ConfigLoader.parse("models:\n  m: {artifact: m.bin}\n", file: "mlgate.yaml").models.first?.serve == nil)
    }

    @Test("bad serve keys are refused at their line, with what to do", arguments: [
        ("prot: 8080", "did you mean 'port'"),
        ("port: 70000", "from 1 to 65535"),
        ("port: http", "from 1 to 65535"),
        ("health: health", "starts with '/'"),
        ("health: \"/h'x\"", "starts with '/'"),
        ("image: \"python 3\"", "container image reference"),
        ("wdir: ../..", "outside the repository"),
    ])
    func refusedKeys(_ extra: String, message: String) {
        expectRefused("models:\n  m:\n    serve:\n      cmd: [python3, s.py, --model, '{model}']\n      files: [s.py]\n      \(extra)\n",
                      line: 6, message: message)
    }

    @Test("bad commands and files are refused at their line", arguments: [
        ("cmd: [python3, s.py, --model, {model}]\n      files: [s.py]", 4, "quote a placeholder"),
        ("cmd: python3 s.py --model {modle}\n      files: [s.py]", 4, "did you mean 'model'"),
        ("cmd: python3 s.py --port {port}\n      files: [s.py]", 4, "must take the model's path from {model}"),
        ("cmd: []\n      files: [s.py]", 4, "empty list"),
        ("files: [s.py]", 4, "needs a 'cmd'"),
        ("cmd: python3 s.py {model}", 4, "needs 'files'"),
        ("cmd: python3 s.py {model}\n      files: [../../etc/passwd]", 5, "outside the repository"),
        ("cmd: python3 s.py {model}\n      files: [/etc/passwd]", 5, "outside the repository"),
        ("cmd: python3 s.py {model}\n      files: [.git/config]", 5, "inside .git"),
        ("cmd: python3 s.py {model}\n      files: [lib/, lib/a.py]", 5, "listed twice"),
        ("cmd: python3 s.py {model}\n      files: []", 5, "list no file"),
    ])
    func refusedCommands(_ body: String, line: Int, message: String) {
        expectRefused("models:\n  m:\n    serve:\n      \(body)\n", line: line, message: message)
    }

    @Test("evaluate and deploy commands are read the same way: an unquoted placeholder in a list is named, not dropped", arguments: [
        ("models:\n  m:\n    evaluate:\n      cmd: [python3, p.py, {model}, '{predictions}']\n      task: binary\n", 4),
        ("deploy:\n  d:\n    type: command\n    cmd: [./deploy.sh, {model}]\n", 4),
    ])
    func sharedCommandReader(_ text: String, line: Int) {
        expectRefused(text, line: line, message: "quote a placeholder")
    }

    @Test("a shell's own ${VARIABLE} is not a placeholder")
    func shellVariables() throws {
        let configuration = try ConfigLoader.parse("models:\n  m:\n    serve:\n      cmd: python3 s.py --model {model} --workers ${WORKERS}\n      files: [s.py]\n",
                                                   file: "mlgate.yaml")
        #expect(configuration.models.first?.serve?.command == .shell("python3 s.py --model {model} --workers ${WORKERS}"))
    }

    private func expectRefused(_ text: String, line: Int, message: String) {
        do {
            _ = try ConfigLoader.parse(text, file: "mlgate.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)\n\(text)")
            #expect(error.description.contains(message), "\(error)")
        }
    }
}
