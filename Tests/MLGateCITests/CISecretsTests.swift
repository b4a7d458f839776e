import Foundation
@testable import MLGateCI
import MLGateTestSupport
import Testing

@Suite("MLGateCI: secrets, command environments and the start-up report")
struct CISecretsTests {
    @Test("secret-looking variables and URL credentials are found; their value and its encodings are redacted")
    func redaction() throws {
        let secrets = CISecrets(environment: [
            "GITHUB_TOKEN": "ghp_abcdefghijklmnop", "DEPLOY_KEY": "k3y-value-long", "GIT_CONFIG_KEY_0": "http.extraheader",
            "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-secret123@gitlab.example.com/x.git", "SHORT_TOKEN": "abc",
        ])
        #expect(CISecrets.looksSecret("GITHUB_TOKEN"))
        #expect(CISecrets.looksSecret("DEPLOY_KEY"))
        #expect(!CISecrets.looksSecret("GIT_CONFIG_KEY_0"))
        #expect(CISecrets.urlCredentials("https://u:p@host/x") == "u:p")
        let base64 = Data("ghp_abcdefghijklmnop".utf8).base64EncodedString()
        let text = secrets.redact("token ghp_abcdefghijklmnop, base64 \(base64), url https://gitlab-ci-token:glcbt-secret123@host/x, short abc")
        #expect(!text.contains("ghp_abcdefghijklmnop") && !text.contains(base64) && !text.contains("glcbt-secret123"), "\(text)")
        #expect(text.contains("short abc"))
    }

    @Test("commands see no secrets; a fork's pull request sees only the baseline; ci.pass_env lets a name through")
    func commandEnvironment() {
        let environment = ["PATH": "/bin", "LC_NUMERIC": "C", "GITHUB_TOKEN": "t0ken-value", "MY_SETTING": "1", "HF_TOKEN": "hf-value-long"]
        #expect(CISecrets.commandEnvironment(environment, untrusted: false, pass: []).keys.sorted() == ["LC_NUMERIC", "MY_SETTING", "PATH"])
        #expect(CISecrets.commandEnvironment(environment, untrusted: false, pass: ["HF_TOKEN"]).keys.sorted() == ["HF_TOKEN", "LC_NUMERIC", "MY_SETTING", "PATH"])
        #expect(CISecrets.commandEnvironment(environment, untrusted: true, pass: ["HF_TOKEN"]).keys.sorted() == ["LC_NUMERIC", "PATH"])
    }

    @Test("a job that cannot start still writes its JSON result, saying why, where the CI system collects it")
    func startupFailure() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = CIOptions()
        options.json = directory + "/reports/gate.json"
        options.provider = "generic"
        struct NotARepository: Error, CustomStringConvertible { var description: String { "not a git repository" } }
        CIReportWriter.writeStartupFailure(NotARepository(), options: options)
        let data = try #require(FileManager.default.contents(atPath: directory + "/reports/gate.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["error"] as? String == "not a git repository")
        #expect(object["passed"] as? Bool == false)
        #expect(object["mode"] as? String == "gate")
        #expect(object["provider"] as? String == "generic")
    }
}
