import MLGateConfig
import MLGateCore
import Testing

@Suite("a model's score section in mlgate.yaml")
struct ScoreConfigTests {
    @Test("cmd and wdir are read")
    func read() throws {
        let configuration = try ConfigLoader.parse("""
            version: 1
            models:
              churn:
                score: {wdir: models/churn, cmd: [python3, predict.py, --model, '{model}', --data, '{input}', --out, '{output}']}
            """, file: "mlgate.yaml")
        let scoring = try #require(configuration.models.first?.scoring)
        #expect(scoring.workingDirectory == "models/churn")
        #expect(scoring.command == .arguments(["python3", "predict.py", "--model", "{model}", "--data", "{input}", "--out", "{output}"]))
    }

    @Test("a score cmd missing a placeholder, with an unknown one, or an unknown key is refused at its line", arguments: [
        ("score: {cmd: 'predict {model} {input}'}", "must use {output}"),
        ("score: {cmd: 'predict {model} {input} {output} {port}'}", "unknown placeholder '{port}'"),
        ("score: {cmd: 'predict {model} {input} {output}', workers: 2}", "unknown key 'workers' in 'score'"),
        ("score: {wdir: x}", "needs a 'cmd'"),
    ])
    func refusals(section: String, message: String) {
        expectModelSectionRefused(section, saying: message)
    }
}
