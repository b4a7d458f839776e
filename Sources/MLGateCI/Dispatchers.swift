import Foundation
package import MLGateCore
import MLGateNotify
import MLGatePipeline

/// The engines the queue dispatches training jobs to, made from `executor:` and the environment's tokens.
package enum Dispatchers {
    /// The dispatcher of `spec`, nil for `local`; a token variable that is unset is refused here, before any job is
    /// taken, naming the variable.
    package static func make(_ spec: ExecutorSpec, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (any JobDispatcher)? {
        func token(_ variable: String, for engine: String) throws -> String {
            guard let value = environment[variable], !value.isEmpty else {
                throw UsageError("the \(engine) executor reads its token from $\(variable), which is not set; export it (or name another variable with executor.token_env in mlgate.yaml).")
            }
            return value
        }
        switch spec {
        case .local: return nil
        case .github(let github): return GitHubDispatcher(spec: github, token: try token(github.tokenVariable, for: "github"))
        case .gitlab(let gitlab):
            return GitLabDispatcher(spec: gitlab, triggerToken: try token(gitlab.triggerTokenVariable, for: "gitlab"),
                                    token: environment[gitlab.tokenVariable].flatMap { $0.isEmpty ? nil : $0 })
        case .kubernetes(let kubernetes): return KubernetesDispatcher(spec: kubernetes)
        }
    }

    /// `url` without the user and password a remote's URL may carry (`https://user:token@host/…`): the engines clone
    /// with their own credentials, and a manifest or a request body is no place for a token.
    static func withoutCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let host = url[scheme.upperBound...]
        guard host[..<at].firstIndex(of: "/") == nil else { return url }
        return String(url[..<scheme.upperBound]) + String(url[url.index(after: at)...])
    }

    /// `text` percent-encoded for one path segment or form value.
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// A JSON object from `response`, or an error naming the engine, the status and the API's message.
    static func object(_ response: HTTPResponse, engine: String, doing what: String) throws -> [String: Any] {
        try json(response, engine: engine, doing: what) as? [String: Any] ?? [:]
    }

    /// The JSON value of a successful `response` (nil for an empty body), or an error naming the engine, the status
    /// and the API's message.
    static func json(_ response: HTTPResponse, engine: String, doing what: String) throws -> Any? {
        let json = try? JSONSerialization.jsonObject(with: Data(response.body))
        guard (200..<300).contains(response.status) else {
            let message = (json as? [String: Any])?["message"].map { "\($0)" } ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            let hint = response.status == 401 || response.status == 403 ? " (check the token and its permissions)"
                : response.status == 404 ? " (check the repository or project, and that the workflow exists on the default branch)" : ""
            throw EnvironmentError("\(engine) refused to \(what): HTTP \(response.status) \(message)\(hint)")
        }
        return json ?? [:]
    }
}

/// GitHub Actions: a `workflow_dispatch` with `return_run_details` (the answer names the run), followed through
/// `GET /actions/runs/{id}`. The workflow sets `run-name` to the job's key (ci-templates/github/train.yml), so an
/// answer lost on the way is found again by listing the workflow's runs instead of dispatching twice.
struct GitHubDispatcher: JobDispatcher {
    let spec: GitHubExecutor
    let token: String
    var engine: String { "github" }

    private var base: String { spec.api.withoutTrailingSlashes + "/repos/" + spec.repository + "/actions" }
    private var headers: [String: String] {
        ["Authorization": "Bearer \(token)", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"]
    }

    func reconcile(_ request: DispatchRequest) throws -> DispatchReceipt? {
        let url = base + "/workflows/" + Dispatchers.encoded(spec.workflow) + "/runs?event=workflow_dispatch&per_page=50"
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: url, headers: headers))
        let runs = try Dispatchers.object(response, engine: engine, doing: "list the runs of \(spec.workflow)")["workflow_runs"] as? [[String: Any]] ?? []
        guard let run = runs.first(where: { $0["display_title"] as? String == "mlgate " + request.key }), let id = run["id"] as? Int else { return nil }
        return DispatchReceipt(id: String(id), url: run["html_url"] as? String ?? "\(spec.repository) run \(id)")
    }

    func dispatch(_ request: DispatchRequest) throws -> DispatchReceipt {
        let body: [String: Any] = ["ref": request.ref, "inputs": ["mlgate_job": request.key, "commit": request.commit], "return_run_details": true]
        let url = base + "/workflows/" + Dispatchers.encoded(spec.workflow) + "/dispatches"
        // One attempt: a retried dispatch whose first answer was lost would start a second run.
        let response = try HTTPClient(attempts: 1).send(HTTPRequest(method: "POST", url: url, headers: headers,
                                                                    body: Array(try JSONSerialization.data(withJSONObject: body))))
        let answer = try Dispatchers.object(response, engine: engine, doing: "dispatch \(spec.workflow)")
        if let id = answer["workflow_run_id"] as? Int {
            return DispatchReceipt(id: String(id), url: answer["html_url"] as? String ?? answer["run_url"] as? String ?? "\(spec.repository) run \(id)")
        }
        // An API without run details (204): the run appears in the list shortly.
        for _ in 0..<10 {
            if let found = try reconcile(request) { return found }
            sleep(2)
        }
        throw EnvironmentError("github accepted the dispatch of \(spec.workflow) but no run named \(request.key) appeared; does the workflow set run-name: ${{ inputs.mlgate_job }}?")
    }

    func status(of receipt: DispatchReceipt) throws -> RemoteRunStatus {
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: base + "/runs/" + receipt.id, headers: headers))
        let run = try Dispatchers.object(response, engine: engine, doing: "read run \(receipt.id)")
        switch run["status"] as? String ?? "" {
        case "completed":
            let conclusion = run["conclusion"] as? String ?? "unknown"
            return conclusion == "success" ? .succeeded : .failed(conclusion)
        case "in_progress": return .running
        default: return .pending
        }
    }

    func logTail(of receipt: DispatchReceipt) -> String? { nil }
}

/// GitLab: a pipeline trigger (`POST /projects/:id/trigger/pipeline` with the trigger token and the job's key and
/// commit as variables), followed with an API token when one is set; without it the job is dispatched and not followed.
struct GitLabDispatcher: JobDispatcher {
    let spec: GitLabExecutor
    let triggerToken: String
    let token: String?
    var engine: String { "gitlab" }
    var cannotFollow: String? {
        token == nil ? "set $\(spec.tokenVariable) to an API token that may read pipelines to follow it" : nil
    }

    private var base: String { spec.api.withoutTrailingSlashes + "/projects/" + Dispatchers.encoded(spec.project) }

    func reconcile(_ request: DispatchRequest) throws -> DispatchReceipt? {
        guard let token else { return nil }
        let headers = ["PRIVATE-TOKEN": token]
        let list = try HTTPClient().send(HTTPRequest(method: "GET", url: base + "/pipelines?source=trigger&per_page=20&ref=" + Dispatchers.encoded(request.ref),
                                                     headers: headers))
        let pipelines = try Dispatchers.json(list, engine: engine, doing: "list the pipelines of \(spec.project)") as? [[String: Any]] ?? []
        for pipeline in pipelines {
            guard let id = pipeline["id"] as? Int else { continue }
            let answer = try HTTPClient().send(HTTPRequest(method: "GET", url: base + "/pipelines/\(id)/variables", headers: headers))
            let variables = (try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [[String: Any]]) ?? []
            if variables.contains(where: { $0["key"] as? String == "MLGATE_JOB" && $0["value"] as? String == request.key }) {
                return DispatchReceipt(id: String(id), url: pipeline["web_url"] as? String ?? "\(spec.project) pipeline \(id)")
            }
        }
        return nil
    }

    func dispatch(_ request: DispatchRequest) throws -> DispatchReceipt {
        let fields = [("token", triggerToken), ("ref", request.ref), ("variables[MLGATE_JOB]", request.key), ("variables[MLGATE_COMMIT]", request.commit)]
        let form = fields.map { Dispatchers.encoded($0.0) + "=" + Dispatchers.encoded($0.1) }.joined(separator: "&")
        let response = try HTTPClient(attempts: 1).send(HTTPRequest(method: "POST", url: base + "/trigger/pipeline",
                                                                    headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(form.utf8)))
        let answer = try Dispatchers.object(response, engine: engine, doing: "trigger a pipeline of \(spec.project)")
        guard let id = answer["id"] as? Int else { throw EnvironmentError("gitlab answered the trigger without a pipeline id") }
        return DispatchReceipt(id: String(id), url: answer["web_url"] as? String ?? "\(spec.project) pipeline \(id)")
    }

    func status(of receipt: DispatchReceipt) throws -> RemoteRunStatus {
        guard let token else { return .unfollowed(cannotFollow ?? "no API token") }
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: base + "/pipelines/" + receipt.id, headers: ["PRIVATE-TOKEN": token]))
        let pipeline = try Dispatchers.object(response, engine: engine, doing: "read pipeline \(receipt.id)")
        switch pipeline["status"] as? String ?? "" {
        case "success": return .succeeded
        case "failed", "canceled", "skipped": return .failed(pipeline["status"] as? String ?? "failed")
        case "running": return .running
        default: return .pending
        }
    }

    func logTail(of receipt: DispatchReceipt) -> String? { nil }
}

/// Kubernetes: one Job per queued job, named after the job's key (so applying it again changes nothing), with
/// `backoffLimit: 0` (retries belong to the queue), applied with kubectl and followed through its conditions.
struct KubernetesDispatcher: JobDispatcher {
    let spec: KubernetesExecutor
    var engine: String { "kubernetes" }

    /// The Job's name: the key, which is already a DNS-1123 label of at most 63 characters.
    static func name(_ request: DispatchRequest) -> String { String(request.key.lowercased().prefix(63)) }

    /// The Job manifest for `request` (JSON, which kubectl reads as it reads YAML).
    static func manifest(_ request: DispatchRequest, spec: KubernetesExecutor) -> [String: Any] {
        let labels = ["app.kubernetes.io/managed-by": "mlgate", "mlgate.dev/job": String(request.job)]
        let script = """
            set -eu
            git clone --quiet "$MLGATE_REPOSITORY" mlgate-job
            cd mlgate-job
            git checkout --quiet "$MLGATE_COMMIT"
            mlgate run
            mlgate push
            """
        var container: [String: Any] = [
            "name": "train", "image": spec.image, "command": ["sh", "-c", script], "workingDir": "/tmp",
            "env": [["name": "MLGATE_REPOSITORY", "value": Dispatchers.withoutCredentials(request.repositoryURL ?? "")], ["name": "MLGATE_COMMIT", "value": request.commit],
                    ["name": "MLGATE_REF", "value": request.ref], ["name": "MLGATE_JOB", "value": request.key], ["name": "CI", "value": "true"]],
        ]
        if let secret = spec.secret { container["envFrom"] = [["secretRef": ["name": secret]]] }
        var pod: [String: Any] = ["restartPolicy": "Never", "containers": [container]]
        if let account = spec.serviceAccount { pod["serviceAccountName"] = account }
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": name(request), "namespace": spec.namespace, "labels": labels],
            "spec": ["backoffLimit": 0, "activeDeadlineSeconds": spec.deadlineSeconds, "ttlSecondsAfterFinished": 86_400,
                     "template": ["metadata": ["labels": labels], "spec": pod]],
        ]
    }

    /// Runs kubectl with `arguments`; its output, or an error with what it printed.
    private func kubectl(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        var argv = [spec.kubectl] + arguments
        var file: String?
        if let input {
            let path = NSTemporaryDirectory() + "mlgate-job-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).json"
            guard FileManager.default.createFile(atPath: path, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw EnvironmentError("could not write the Job manifest to \(path)")
            }
            file = path
            argv += ["-f", path]
        }
        defer { if let file { try? FileManager.default.removeItem(atPath: file) } }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let child: ChildProcess
        do { child = try ChildProcess(argv: argv, directory: FileManager.default.currentDirectoryPath, environment: environment) } catch {
            throw EnvironmentError("could not start \(spec.kubectl): \(error); install kubectl or set executor.kubectl in mlgate.yaml.")
        }
        var lines: [String] = []
        child.readLines { lines.append($0) }
        return (child.wait(), lines.joined(separator: "\n"))
    }

    func reconcile(_ request: DispatchRequest) throws -> DispatchReceipt? {
        let name = Self.name(request)
        let found = try kubectl(["get", "job", name, "--namespace", spec.namespace, "--ignore-not-found", "--output", "name"])
        // kubectl's warnings share the output: only its answer line counts.
        guard found.status == 0, found.output.split(separator: "\n").contains(where: { $0 == "job.batch/\(name)" }) else { return nil }
        return DispatchReceipt(id: name, url: "\(spec.namespace)/\(name)")
    }

    func dispatch(_ request: DispatchRequest) throws -> DispatchReceipt {
        guard request.repositoryURL?.isEmpty == false else {
            throw UsageError("the kubernetes executor clones the repository in the pod, and the job's remote has no URL; add a remote ('git remote add origin URL') the cluster can reach.")
        }
        let manifest = String(decoding: try JSONSerialization.data(withJSONObject: Self.manifest(request, spec: spec), options: [.sortedKeys]), as: UTF8.self)
        let applied = try kubectl(["apply", "--output", "name"], input: manifest)
        guard applied.status == 0 else { throw EnvironmentError("kubectl apply of Job \(Self.name(request)) failed (exit \(applied.status)): \(applied.output)") }
        return DispatchReceipt(id: Self.name(request), url: "\(spec.namespace)/\(Self.name(request))")
    }

    func status(of receipt: DispatchReceipt) throws -> RemoteRunStatus {
        let read = try kubectl(["get", "job", receipt.id, "--namespace", spec.namespace, "--output", "json"])
        // The JSON document, without any warning lines kubectl printed around it.
        let document = read.output.firstIndex(of: "{").flatMap { start in read.output.lastIndex(of: "}").map { read.output[start...$0] } } ?? ""
        guard read.status == 0, let job = try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any] else {
            throw EnvironmentError("kubectl could not read Job \(receipt.url) (exit \(read.status)): \(read.output.prefix(300))")
        }
        let status = job["status"] as? [String: Any] ?? [:]
        for condition in status["conditions"] as? [[String: Any]] ?? [] where condition["status"] as? String == "True" {
            switch condition["type"] as? String {
            case "Complete": return .succeeded
            case "Failed": return .failed(condition["reason"] as? String ?? "Failed")
            default: continue
            }
        }
        return (status["active"] as? Int ?? 0) > 0 ? .running : .pending
    }

    func logTail(of receipt: DispatchReceipt) -> String? {
        let logs = try? kubectl(["logs", "job/\(receipt.id)", "--namespace", spec.namespace, "--tail", "50"])
        return logs.flatMap { $0.status == 0 ? $0.output : nil }
    }
}
