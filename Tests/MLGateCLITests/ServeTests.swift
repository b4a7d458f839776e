import Foundation
import MLGateTestSupport
import Testing

/// The test backend: answers GET /health (503 for HEALTH_DELAY seconds after it starts, noting any request that
/// arrives before then in early.log) and POST /predict with the deployment and version it serves, after SLEEP seconds
/// (with SCORES set, as a model would: `{"scores": [x / 1000 for each row]}`).
private let backend = #"""
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
started = time.time()
delay = float(os.environ.get("HEALTH_DELAY", "0"))
if os.environ.get("EXIT_AT_ONCE"): sys.exit(7)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        self.reply(200 if time.time() - started >= delay else 503, {"status": "ok"})
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if time.time() - started < delay:
            open(os.environ["EARLY_LOG"], "a").write("early\n")
        time.sleep(float(os.environ.get("SLEEP", "0")))
        request = json.loads(body or b"null")
        if os.environ.get("SCORES"):  # a model's answer: a score per row, x / 1000
            return self.reply(200, {"scores": [min(1.0, row["x"] / 1000) for row in request["rows"]]})
        self.reply(200, {"deployment": os.environ["MLGATE_DEPLOYMENT"], "version": os.environ["MLGATE_MODEL_URI"], "echo": request})
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""#

/// An HTTP answer as the test sees it.
private struct Answer {
    var status = 0
    var headers: [String: String] = [:]
    var body = ""
}

/// One request on its own connection (`Connection: close`), read to the end; status 0 when nothing answered.
private func request(_ port: Int, _ method: String = "POST", _ path: String = "/predict", headers: [String: String] = [:], body: String = "{\"rows\": [1]}") -> Answer {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
    guard connected else { return Answer() }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    text += "\r\n" + body
    _ = text.withCString { send(fd, $0, strlen($0), 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { break }
        received += buffer[0..<count]
    }
    let response = String(decoding: received, as: UTF8.self)
    guard let split = response.range(of: "\r\n\r\n") else { return Answer() }
    var answer = Answer(body: String(response[split.upperBound...]))
    let lines = response[..<split.lowerBound].components(separatedBy: "\r\n")
    answer.status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        answer.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return answer
}

/// A repository with versions m/1 and m/2 of a model served by the test backend, and endpoint `shop` on a free port.
private func servingRepository(endpoint: String, extra: String = "") throws -> (GitFixture, Int) {
    let port = try freePort()
    let fixture = try pipelineRepository("""
        version: 1
        models:
          m:
            artifact: model.txt
            serve:
              cmd: [python3, backend.py, "{port}", "{model}"]
              files: [backend.py]
              health: /health
        endpoints:
          shop:
            port: \(port)
        \(endpoint)
        \(extra)
        """, files: ["model.txt": "weights 1\n", "backend.py": backend])
    for weights in ["weights 1\n", "weights 2\n"] {
        try fixture.write("model.txt", weights)
        let result = try fixture.mlgate(["models", "register", "m", "--path", "model.txt"])
        guard result.status == 0 else { throw TestSupportError("register failed: \(result)") }
    }
    return (fixture, port)
}

/// `mlgate serve` started in the background, and waited for until `/-/ready` answers 200.
private func serve(_ fixture: GitFixture, port: Int, environment: [String: String] = [:]) throws -> BackgroundProcess {
    let server = try fixture.startMlgate(["serve", "shop"], extraEnvironment: environment.merging(["EARLY_LOG": fixture.root + "/early.log"]) { $1 })
    // Ready, and its status file written (just after the routing table is installed).
    let status = fixture.root + "/.mlgate/serve/endpoints/shop/status.json"
    let ready = server.waitUntil(seconds: 30) { request(port, "GET", "/-/ready").status == 200 && FileManager.default.fileExists(atPath: status) }
    if !ready { server.send(SIGTERM); throw TestSupportError("the router did not become ready: \(server.wait().stderr)") }
    return server
}

/// Runs `body` with a repository serving endpoint `shop` (see `servingRepository`) and its router, both removed after.
private func withRouter(endpoint: String, extra: String = "", environment: [String: String] = [:],
                        _ body: (GitFixture, Int, BackgroundProcess) throws -> Void) throws {
    let (fixture, port) = try servingRepository(endpoint: endpoint, extra: extra)
    defer { fixture.remove() }
    let server = try serve(fixture, port: port, environment: environment)
    defer { server.send(SIGTERM); _ = server.wait() }
    try body(fixture, port, server)
}

/// The pids of the router's instances, from its status file.
private func instancePids(_ fixture: GitFixture) throws -> [Int32] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/.mlgate/serve/endpoints/shop/status.json"))
    let deployments = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["deployments"] as? [[String: Any]] ?? []
    return deployments.flatMap { ($0["pids"] as? [Int] ?? []).map(Int32.init) }
}

/// Whether `pid` runs (a zombie, exited but not yet reaped by whoever adopted it, does not).
private func alive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
}

/// An answer fetched on another thread.
private final class PendingAnswer: @unchecked Sendable {
    private let done = NSCondition()
    private var answer: Answer?
    func set(_ value: Answer) { done.lock(); answer = value; done.signal(); done.unlock() }
    func wait() -> Answer {
        done.lock()
        defer { done.unlock() }
        while answer == nil { done.wait() }
        return answer ?? Answer()
    }
}

extension Thread {
    /// Runs `work` on a new thread; the answer arrives through the result.
    fileprivate static func detachedAnswer(_ work: @escaping @Sendable () -> Answer) -> PendingAnswer {
        let pending = PendingAnswer()
        Thread.detachNewThread { pending.set(work()) }
        return pending
    }
}

/// A deploy target putting a version into deployment `green` of endpoint `shop` as a 10 % canary.
private let canaryTarget = """
    deploy:
      canary: {type: endpoint, endpoint: shop, deployment: green, canary: 10}
    """

@Suite("mlgate serve: the endpoint router, over real HTTP to real child processes", .serialized)
struct ServeTests {
    @Test("requests split 90/10 exactly, a pin header wins, answers say who answered, SIGTERM leaves no child; collected records and labels join by request id")
    func splitPinCollectStop() throws {
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1}
                  green: {model: m/2}
                traffic: {blue: 90, green: 10}
                collect: {sample: 1.0}
            """)
        defer { fixture.remove() }
        let server = try serve(fixture, port: port)
        var seen: [String: Int] = [:]
        for _ in 0..<20 {
            let answer = request(port)
            #expect(answer.status == 200)
            seen[answer.headers["mlgate-deployment"] ?? "?", default: 0] += 1
            #expect(answer.body.contains("\"deployment\": \"\(answer.headers["mlgate-deployment"] ?? "?")\""))
        }
        #expect(seen == ["blue": 18, "green": 2])
        let pinned = request(port, headers: ["azureml-model-deployment": "green", "x-request-id": "req-42"])
        #expect(pinned.status == 200 && pinned.headers["mlgate-deployment"] == "green" && pinned.headers["x-request-id"] == "req-42")
        #expect(pinned.headers["mlgate-model-version"] == "models:/m/2")
        let unknown = request(port, headers: ["mlgate-deployment": "purple"])
        #expect(unknown.status == 404 && unknown.body.contains("blue, green"))
        #expect(request(port, "GET", "/-/metrics").body.contains("mlgate_requests_total{endpoint=\"shop\",deployment=\"blue\",code=\"200\"} 18"))
        let pids = try instancePids(fixture)
        #expect(pids.count == 2 && pids.allSatisfy(alive))
        server.send(SIGTERM)
        let result = server.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(pids.allSatisfy { !alive($0) }, "an instance outlived the router")
        let inputs = try FileManager.default.subpathsOfDirectory(atPath: fixture.root + "/.mlgate/collected/shop/green/model_inputs").filter { $0.hasSuffix(".jsonl") }
        let lines = try inputs.flatMap { try String(contentsOfFile: fixture.root + "/.mlgate/collected/shop/green/model_inputs/" + $0, encoding: .utf8).split(separator: "\n") }
        #expect(lines.count == 3)
        #expect(lines.contains { $0.contains("\"correlationid\":\"req-42\"") && $0.contains("\"data\":[1]") && $0.contains("\"type\":\"azureml.inference.model_inputs\"") })

        // Ground truth joins the collected requests by request id; a bad file is refused at its line and writes nothing.
        try fixture.write("bad.csv", "correlation_id,label\nreq-42,1\nreq-42,0\n")
        let refused = try fixture.mlgate(["collect", "labels", "bad.csv"])
        #expect(refused.status == 2 && refused.stderr.contains("bad.csv:3: request id 'req-42' is given twice (also at line 2)"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.mlgate/collected/shop/labels"))
        try fixture.write("labels.csv", "correlation_id,label\nreq-42,1\nnot-served,0\n")
        let labelled = try fixture.mlgate(["collect", "labels", "labels.csv", "--json"])
        #expect(labelled.status == 0, "\(labelled)")
        let summary = try jsonObject(labelled.stdout)
        #expect(summary["labels"] as? Int == 2 && summary["joined"] as? Int == 1 && summary["unmatched_examples"] as? [String] == ["not-served"])
        let written = try String(contentsOfFile: try #require(summary["written"] as? String), encoding: .utf8)
        #expect(written.contains("\"correlationid\":\"req-42\"") && written.contains("\"data\":{\"label\":1}") && written.contains("\"type\":\"mlgate.ground_truth\""))
    }

    @Test("a killed instance is restarted and gets no request before its health check is green")
    func killedInstance() throws {
        try withRouter(endpoint: """
                deployments:
                  blue: {model: m/1}
            """, environment: ["HEALTH_DELAY": "1.5"]) { fixture, port, server in
            let pids = try instancePids(fixture)
            #expect(request(port).status == 200)
            let pid = try #require(pids.first)
            kill(-pid, SIGKILL)
            var statuses: Set<Int> = []
            let recovered = server.waitUntil(seconds: 20) {
                let status = request(port).status
                statuses.insert(status)
                return status == 200
            }
            #expect(recovered)
            // 503 while no instance is ready (502 at most for a request caught by the kill itself), never a hang.
            #expect(statuses.isSubset(of: [200, 502, 503]), "requests while the instance was down: \(statuses)")
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/early.log"), "a request reached the instance before /health was green")
            #expect(request(port, "GET", "/-/metrics").body.contains("mlgate_instance_restarts_total{endpoint=\"shop\",deployment=\"blue\"} 1"))
        }
    }

    @Test("a traffic switch and a rollback under steady load from another process fail no request; the CLI says the router applied them")
    func switchUnderLoad() throws {
        try withRouter(endpoint: """
                deployments:
                  blue: {model: m/1}
                  green: {model: m/2}
                traffic: {blue: 100, green: 0}
            """) { fixture, port, server in
            let load = try BackgroundProcess("/usr/bin/env", ["python3", "-c", """
                import http.client, sys, threading, time
                ok, bad, seen = [0], [], set()
                def worker():
                    c = http.client.HTTPConnection("127.0.0.1", \(port))
                    end = time.time() + 4
                    while time.time() < end:
                        try:
                            c.request("POST", "/predict", body="{}", headers={"Content-Type": "application/json"})
                            r = c.getresponse(); r.read()
                            if r.status == 200: ok[0] += 1; seen.add(r.getheader("mlgate-deployment"))
                            else: bad.append(r.status)
                        except Exception as e:
                            bad.append(repr(e)); c = http.client.HTTPConnection("127.0.0.1", \(port))
                ts = [threading.Thread(target=worker) for _ in range(4)]
                [t.start() for t in ts]; [t.join() for t in ts]
                print(ok[0], len(bad), sorted(seen), bad[:5])
                """], in: fixture.root, environment: ProcessInfo.processInfo.environment)
            usleep(800_000)
            let switched = try fixture.mlgate(["endpoint", "traffic", "shop", "blue=0", "green=100", "--reason", "switch"])
            #expect(switched.status == 0 && switched.stdout.contains("routes by it now"), "\(switched)")
            usleep(800_000)
            #expect(try fixture.mlgate(["endpoint", "rollback", "shop", "--reason", "back"]).stdout.contains("routes by it now"))
            let result = load.wait()
            let fields = result.stdout.split(separator: " ")
            #expect(fields.count >= 2 && fields[1] == "0", "failed requests under the switch: \(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("'blue', 'green'"), "\(result.stdout)")
            #expect((Int(fields.first ?? "") ?? 0) > 100)
        }
    }

    @Test("a mirror to a deployment that takes 5 s adds no latency to live requests; copies over its limit are dropped and counted")
    func slowMirror() throws {
        try withRouter(endpoint: """
                deployments:
                  blue: {model: m/1}
                  shadow: {model: m/2, env: {SLEEP: "5"}}
                traffic: {blue: 100}
                mirror: {shadow: 50}
                limits: {mirror_in_flight: 2, request_timeout_ms: 8000}
            """) { fixture, port, server in
            var slowest = 0.0
            for _ in 0..<10 {
                let start = Date()
                #expect(request(port).headers["mlgate-deployment"] == "blue")
                slowest = max(slowest, Date().timeIntervalSince(start))
            }
            #expect(slowest < 1, "a live request took \(slowest) s beside a 5 s mirror")
            let metrics = request(port, "GET", "/-/metrics").body
            #expect(metrics.contains("mlgate_mirror_requests_total{endpoint=\"shop\",deployment=\"shadow\",result=\"sent\"} 2"))
            #expect(metrics.contains("mlgate_mirror_requests_total{endpoint=\"shop\",deployment=\"shadow\",result=\"dropped\"} 3"))
        }
    }

    @Test("limits: a body over the limit is 413, a slow answer 504, a full deployment 503 with Retry-After")
    func limits() throws {
        try withRouter(endpoint: """
                deployments:
                  blue: {model: m/1, env: {SLEEP: "1"}}
                limits: {max_request_bytes: 100, request_timeout_ms: 400, max_concurrent_requests_per_instance: 1}
            """) { fixture, port, server in
            #expect(request(port, body: String(repeating: "x", count: 101)).status == 413)
            let first = Thread.detachedAnswer { request(port) }
            usleep(100_000)
            let seen = [request(port), first.wait()]
            #expect(Set(seen.map(\.status)) == [504, 503], "\(seen.map(\.status))")
            #expect(seen.first { $0.status == 503 }?.headers["retry-after"] == "1")
            #expect(seen.first { $0.status == 504 }?.headers["mlgate-deployment"] == "blue")
        }
    }

    @Test("an instance that never becomes healthy: exit 3 naming its log, nothing left running, the port free")
    func failingInstance() throws {
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1, env: {EXIT_AT_ONCE: "1"}}
            """)
        defer { fixture.remove() }
        let result = try fixture.mlgate(["serve", "shop"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("exited 3 times before it answered its health check") && result.stderr.contains("/logs/blue-"), "\(result.stderr)")
        #expect(request(port, "GET", "/-/health").status == 0)
        #expect(try fixture.mlgate(["serve", "nowhere"]).status == 2)
    }

    @Test("mlgate deploy to an endpoint target puts the version in as a 10 % canary the running router serves; promote takes it to 100 %")
    func canaryDeploy() throws {
        try withRouter(endpoint: """
                deployments:
                  blue: {model: m/1}
                  green: {model: m/1}
                traffic: {blue: 100, green: 0}
            """, extra: canaryTarget) { fixture, port, server in
            let deployed = try fixture.mlgate(["deploy", "m/2", "--target", "canary", "--reason", "challenger"])
            #expect(deployed.status == 0, "\(deployed)")
            #expect(deployed.stderr.contains("green serves models:/m/2 at 10%") && deployed.stderr.contains("serves it now"), "\(deployed.stderr)")
            var versions: [String: Int] = [:]
            for _ in 0..<20 { versions[request(port).headers["mlgate-model-version"] ?? "?", default: 0] += 1 }
            #expect(versions == ["models:/m/1": 18, "models:/m/2": 2])
            let status = try jsonObject(try fixture.mlgate(["endpoint", "status", "--json"]).stdout)
            let green = ((status["endpoints"] as? [[String: Any]])?.first?["deployments"] as? [[String: Any]])?.first { $0["name"] as? String == "green" }
            #expect(green?["model"] as? String == "m/2" && green?["traffic"] as? Int == 10)
            #expect(try fixture.mlgate(["endpoint", "promote", "shop", "green", "--reason", "healthy"]).status == 0)
            #expect(request(port).headers["mlgate-model-version"] == "models:/m/2")
            #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
        }
    }

    @Test("a canary whose instances fail their health check: exit 3 naming the log, the traffic before put back, the router unchanged")
    func failingCanary() throws {
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1}
                  green: {model: m/1, env: {EXIT_AT_ONCE: "1"}}
                traffic: {blue: 100, green: 0}
                limits: {startup_timeout_ms: 4000}
            """, extra: canaryTarget)
        defer { fixture.remove() }
        // The green instance of m/1 cannot start either, so the router starts with blue only: take green out of the way.
        try fixture.write("mlgate.yaml", try #require(fixture.read("mlgate.yaml")).replacingOccurrences(of: "green: {model: m/1, env: {EXIT_AT_ONCE: \"1\"}}", with: "green: {model: m/1}"))
        let server = try serve(fixture, port: port)
        defer { server.send(SIGTERM); _ = server.wait() }
        try fixture.write("mlgate.yaml", try #require(fixture.read("mlgate.yaml")).replacingOccurrences(of: "green: {model: m/1}", with: "green: {model: m/1, env: {EXIT_AT_ONCE: \"1\"}}"))
        let before = try fixture.mlgate(["endpoint", "status", "--json"]).stdout
        let deployed = try fixture.mlgate(["deploy", "m/2", "--target", "canary", "--reason", "broken challenger"])
        #expect(deployed.status == 3, "\(deployed)")
        #expect(deployed.stderr.contains("the traffic before was put back") && deployed.stderr.contains("/logs/green-"), "\(deployed.stderr)")
        let after = try jsonObject(try fixture.mlgate(["endpoint", "status", "--json"]).stdout)
        let traffic = ((after["endpoints"] as? [[String: Any]])?.first?["deployments"] as? [[String: Any]])?.map { $0["traffic"] as? Int ?? -1 }
        #expect(traffic == [100, 0], "before: \(before)")
        for _ in 0..<5 { #expect(request(port).headers["mlgate-model-version"] == "models:/m/1") }
    }

    @Test("mlgate monitor check --endpoint judges drift on the request rows the router collected, within a window")
    func monitorCollected() throws {
        let reference = "x,c\n" + (0..<200).map { "\($0 % 50),\($0 % 2 == 0 ? "a" : "b")" }.joined(separator: "\n") + "\n"
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1}
                collect: {sample: 1.0}
            """)
        defer { fixture.remove() }
        try fixture.write("ref.csv", reference)
        let config = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", config.replacingOccurrences(of: "      health: /health\n", with: "      health: /health\n    monitor: {reference: ref.csv}\n"))
        let server = try serve(fixture, port: port)
        for index in 0..<40 { #expect(request(port, body: "{\"rows\": [{\"x\": \(500 + index), \"c\": \"z\"}]}").status == 200) }
        server.send(SIGTERM)
        _ = server.wait()  // the collector is flushed on the way out
        let drifted = try fixture.mlgate(["monitor", "check", "m", "--endpoint", "shop", "--window", "1h", "--json"])
        #expect(drifted.status == 1, "\(drifted)")
        let report = try jsonObject(drifted.stdout)
        #expect(report["current_rows"] as? Int == 40 && (report["current"] as? String ?? "").hasPrefix("endpoint shop since "), "\(report)")
        let columns = report["columns"] as? [[String: Any]] ?? []
        #expect(Set(columns.compactMap { $0["drifted"] as? Bool == true ? $0["name"] as? String : nil }) == ["x", "c"])
        let empty = try fixture.mlgate(["monitor", "check", "m", "--endpoint", "shop", "--since", "2999-01-01T00:00:00Z"])
        #expect(empty.status == 2 && empty.stderr.contains("collected no request rows"), "\(empty)")
        #expect(try fixture.mlgate(["monitor", "check", "m", "--window", "1h"]).status == 2)
    }

    @Test("the prediction and performance signals on what the router collected: the answers' scores drift from the reference outputs, and the ground truth joined by request id degrades the AUC")
    func monitorSignalsCollected() throws {
        // The reference: inputs x and the model's outputs on them, x / 1000 for x in 0…199.
        let reference = "x,score\n" + (0..<200).map { "\($0),\(Double($0) / 1000)" }.joined(separator: "\n") + "\n"
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1, env: {SCORES: "1"}}
                collect: {sample: 1.0}
            """)
        defer { fixture.remove() }
        try fixture.write("ref.csv", reference)
        let monitor = "    monitor:\n      reference: ref.csv\n      prediction: {column: score}\n"
            + "      performance: {task: binary, metric: roc_auc, min: 0.7, min_rows: 20}\n"
        try fixture.write("mlgate.yaml", try #require(fixture.read("mlgate.yaml")).replacingOccurrences(of: "      health: /health\n", with: "      health: /health\n" + monitor))
        let server = try serve(fixture, port: port)
        // Production sends larger x: the inputs and the scores drift. The requests whose score is higher turn out
        // negative: the ranking is backwards.
        var labels = "correlation_id,label\n"
        for index in 0..<40 {
            let answer = request(port, headers: ["x-request-id": "q\(index)"], body: "{\"rows\": [{\"x\": \(300 + index * 10)}]}")
            #expect(answer.status == 200 && answer.body.contains("scores"), "\(answer)")
            labels += "q\(index),\(index < 20 ? 1 : 0)\n"
        }
        server.send(SIGTERM)
        _ = server.wait()

        // Before any ground truth: the performance signal is not judged, and says why.
        let unlabelled = try fixture.mlgate(["monitor", "check", "m", "--endpoint", "shop", "--json"])
        #expect(unlabelled.status == 1, "\(unlabelled)")
        let first = try jsonObject(unlabelled.stdout)
        let prediction = try #require(first["prediction"] as? [String: Any])
        #expect(prediction["name"] as? String == "score" && prediction["drifted"] as? Bool == true && prediction["current_rows"] as? Int == 40
                && prediction["reference_rows"] as? Int == 200 && prediction["method"] as? String == "ks", "\(prediction)")
        let pending = try #require(first["performance"] as? [String: Any])
        #expect(pending["judged"] as? Bool == false && pending["rows"] as? Int == 0 && (pending["note"] as? String ?? "").contains("fewer than min_rows 20"), "\(pending)")
        #expect(((first["columns"] as? [[String: Any]]) ?? []).map { $0["name"] as? String } == ["x"], "the output is a signal, not an input column")

        try fixture.write("labels.csv", labels)
        #expect(try fixture.mlgate(["collect", "labels", "labels.csv", "--endpoint", "shop"]).status == 0)
        let labelled = try fixture.mlgate(["monitor", "check", "m", "--endpoint", "shop"])
        #expect(labelled.status == 1, "\(labelled)")
        #expect(labelled.stdout.contains("performance roc_auc: 0.0000 on 40 labelled rows against its min 0.7000, DEGRADED"), "\(labelled.stdout)")
        #expect(labelled.stdout.contains("prediction score: ks"), "\(labelled.stdout)")
        let history = try jsonObject(try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout)["checks"] as? [[String: Any]] ?? []
        let recorded = (history.first?["report"] as? [String: Any])?["performance"] as? [String: Any]
        #expect(history.count == 2 && recorded?["degraded"] as? Bool == true && recorded?["value"] as? Double == 0, "\(history)")
    }

    @Test("a router killed with kill -9 leaves its instances; the next one of the endpoint stops them before it starts")
    func leftoversAfterKill() throws {
        let (fixture, port) = try servingRepository(endpoint: """
                deployments:
                  blue: {model: m/1, instances: 2}
            """)
        defer { fixture.remove() }
        let first = try serve(fixture, port: port)
        let orphans = try instancePids(fixture)
        #expect(orphans.count == 2)
        first.send(SIGKILL)
        _ = first.wait()
        #expect(orphans.allSatisfy(alive), "the instances died with the router")
        let second = try serve(fixture, port: port)
        defer { second.send(SIGTERM); _ = second.wait() }
        #expect(orphans.allSatisfy { !alive($0) }, "an instance of the killed router is still running")
        #expect(second.stderr.contains("stopped 2 instance processes a previous router of endpoint 'shop' left running"), "\(second.stderr)")
        #expect(request(port).status == 200)
    }
}
