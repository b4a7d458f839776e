import MLGateConfig
import MLGateCore
import Testing

@Suite("the executor section of mlgate.yaml")
struct ExecutorConfigTests {
    static func executor(_ section: String) throws -> ExecutorSpec {
        try ConfigLoader.parse("version: 1\nexecutor: \(section)\n", file: "mlgate.yaml").executor
    }

    @Test("each type is read, with its defaults; no section is local")
    func read() throws {
        #expect(try ConfigLoader.parse("version: 1\n", file: "mlgate.yaml").executor == .local)
        #expect(try Self.executor("{type: github, repository: acme/churn, workflow: train.yml}")
                == .github(GitHubExecutor(repository: "acme/churn", workflow: "train.yml")))
        #expect(try Self.executor("{type: gitlab, project: '42', trigger_token_env: TRIGGER, api: 'https://gitlab.example.com/api/v4'}")
                == .gitlab(GitLabExecutor(project: "42", triggerTokenVariable: "TRIGGER", api: "https://gitlab.example.com/api/v4")))
        #expect(try Self.executor("{type: kubernetes, image: 'r.example.com/train:1', namespace: ml, service_account: trainer, deadline_seconds: 600, secret: creds}")
                == .kubernetes(KubernetesExecutor(image: "r.example.com/train:1", namespace: "ml", serviceAccount: "trainer", deadlineSeconds: 600, secret: "creds")))
    }

    @Test("bad executors are refused at their line", arguments: [
        ("{type: jenkins}", "needs a 'type': local, github, gitlab, kubernetes"),
        ("{type: github, workflow: t.yml}", "needs 'repository', such as repository: acme/churn"),
        ("{type: github, repository: churn, workflow: t.yml}", "is owner/name"),
        ("{type: github, repository: a/b, workflow: t.yml, token: abc}", "unknown key 'token' in the github executor"),
        ("{type: github, repository: a/b, workflow: t.yml, token_env: 'ghp_123-abc'}", "never write a token itself"),
        ("{type: gitlab, project: a/b, api: gitlab.com}", "the API's https:// root URL"),
        ("{type: github, repository: a/b, workflow: t.yml, api: 'http://api.example.com'}", "http:// only to this machine"),
        ("{type: kubernetes, image: x, namespace: ml٣}", "a Kubernetes name"),
        ("{type: kubernetes}", "needs 'image'"),
        ("{type: kubernetes, image: x, namespace: ML_Team}", "a Kubernetes name"),
        ("{type: kubernetes, image: x, deadline_seconds: 0}", "above 0"),
    ])
    func refusals(section: String, message: String) {
        expectRefused("version: 1\nexecutor: \(section)\n", at: "mlgate.yaml:2:", saying: message)
    }
}
