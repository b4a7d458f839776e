import MLGateConfig
import MLGateCore
import Testing

@Suite("mlgate.yaml")
struct ConfigLoaderTests {
    @Test("projects in both spellings, hooks, and later sections accepted")
    func valid() throws {
        let config = try ConfigLoader.parse("""
            version: 1
            projects:
              churn: models/churn/
              fraud: {path: models/fraud}
            hooks: {pre_push: strict}
            stages:
              train: {cmd: python3 train.py}
            """, file: "mlgate.yaml")
        #expect(config.projects == [ProjectSpec(name: "churn", path: "models/churn"), ProjectSpec(name: "fraud", path: "models/fraud")])
        #expect(config.hooks.prePush == .strict)
    }

    @Test("an empty file is the defaults")
    func empty() throws {
        #expect(try ConfigLoader.parse("", file: "mlgate.yaml") == MLGateConfiguration())
    }

    @Test("refusals name the line and column", arguments: [
        ("version: 2\n", "mlgate.yaml:1:10", "'version' must be 1"),
        ("version: 1\nprojects:\n  churn: /abs\n", "mlgate.yaml:3:10", "relative to its root"),
        ("projects:\n  churn: ../outside\n", "mlgate.yaml:2:10", "inside the repository"),
        ("projects:\n  \"bad name\": x\n", "mlgate.yaml:2:3", "project name"),
        ("hooks:\n  pre_push: sometimes\n", "mlgate.yaml:2:13", "warn, strict, off"),
        ("hooks:\n  prepush: warn\n", "mlgate.yaml:2:3", "unknown key 'prepush'"),
        ("modles: {}\n", "mlgate.yaml:1:1", "did you mean 'models'"),
        ("hooks: [a\n", "mlgate.yaml:", "invalid YAML"),
        ("a: 1\na: 2\n", "mlgate.yaml:", "duplicate key"),
        ("version: 1\nhooks: !!python/object:os.system {pre_push: warn}\n", "mlgate.yaml:2:8", "YAML tag '!!python/object:os.system' is not supported"),
        ("version: !!int 1\nhooks: {pre_push: !custom warn}\n", "mlgate.yaml:2:19", "YAML tag '!custom' is not supported"),
    ])
    func refusals(text: String, location: String, message: String) {
        expectRefused(text, at: location, saying: message)
    }

    @Test("an alias bomb is refused quickly instead of expanding")
    func aliasBomb() {
        var text = "stages:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            text += "  a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        #expect {
            try ConfigLoader.parse(text, file: "mlgate.yaml")
        } throws: { error in
            "\(error)".contains("more than 100000 values")
        }
    }

    @Test("deep nesting is refused")
    func deepNesting() {
        let text = "stages: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n"
        #expect {
            try ConfigLoader.parse(text, file: "mlgate.yaml")
        } throws: { error in
            "\(error)".contains("nesting deeper")
        }
    }
}
