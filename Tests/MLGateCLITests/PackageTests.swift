import Foundation
import MLGateTestSupport
import Testing

/// examples/churn in this checkout.
let churnExample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("examples/churn").path

/// A hand-made churn model (the format train.py writes), so no training is needed.
let handMadeChurnModel = """
    {"format": "churn-logreg/1",
     "features": ["tenure_months", "monthly_charges", "support_calls", "contract=year", "region=north", "region=south", "region=east", "region=west"],
     "means": [24.0, 65.0, 1.5, 0.4, 0.25, 0.25, 0.25, 0.25], "stds": [12.0, 20.0, 1.2, 0.49, 0.43, 0.43, 0.43, 0.43],
     "weights": [-0.9, 0.6, 0.8, -1.1, 0.1, -0.2, 0.05, 0.0], "bias": -0.7}

    """

/// Rows to score, in test.csv's layout.
let churnRows = """
    id,region,tenure_months,monthly_charges,support_calls,contract,label
    1,north,18,83.54,1,month,0
    2,west,16,37.93,0,year,0
    3,south,2,99.1,4,month,1
    4,east,40,20.5,0,year,0

    """

/// A repository whose pipeline "trains" the hand-made churn model into models/churn/model/ (two files, with an
/// environment file, so the run records pip freeze), with examples/churn's serving code beside it.
func packageRepository(serve: String? = nil, deploy: String = "") throws -> GitFixture {
    var files = ["models/churn/model.src/model.json": handMadeChurnModel, "models/churn/model.src/NOTES.txt": "hand-made\n",
                 "models/churn/requirements.txt": "# standard library only\n", "models/churn/rows.csv": churnRows]
    for name in ["serve.py", "predict.py", "common.py"] {
        files["models/churn/" + name] = try String(contentsOfFile: churnExample + "/" + name, encoding: .utf8)
    }
    let serveSection = serve ?? """
            serve:
              wdir: models/churn
              cmd: [python3, serve.py, --model, "{model}", --port, "{port}", --host, 127.0.0.1]
              files: [serve.py, predict.py, common.py]
        """
    return try pipelineRepository("""
        version: 1
        stages:
          train:
            wdir: models/churn
            cmd: mkdir -p model && cp model.src/* model/
            deps: [model.src/]
            environment: requirements.txt
            outs: [model/]
        models:
          churn:
            artifact: models/churn/model/
        \(serveSection)
        \(deploy)
        """, files: files)
}

/// SHA-256 of a file, by coreutils.
func sha256(_ path: String) throws -> String {
    let result = try runProcess("/usr/bin/env", ["sha256sum", path], in: "/", environment: ProcessInfo.processInfo.environment)
    return String(result.stdout.prefix(64))
}

/// Every file under `folder`, relative, sorted.
func filesUnder(_ folder: String) -> [String] {
    var result: [String] = []
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    for case let relative as String in walker {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue { result.append(relative) }
    }
    return result.sorted()
}

/// A TCP port nobody listens on now.
func freePort() throws -> Int {
    let result = try runProcess("/usr/bin/env", ["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
                                in: "/", environment: ProcessInfo.processInfo.environment)
    guard let port = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestSupportError("no free port: \(result)") }
    return port
}

@Suite("mlgate package")
struct PackageTests {
    @Test("packaging a registered version: every file is in manifest.json with its hash, with lineage, environment and serve command")
    func manifest() throws {
        let fixture = try packageRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        let version = try jsonObject(try fixture.mlgate(["models", "show", "churn/1", "--json"]).stdout)
        let out = fixture.base + "/dist/churn"
        let result = try fixture.mlgate(["package", "churn/1", "--out", out, "--json"])
        #expect(result.status == 0, "\(result)")
        let printed = try jsonObject(result.stdout)
        #expect(printed["manifest_path"] as? String == out + "/manifest.json")
        let manifest = try jsonObject(try #require(fixture.read(out + "/manifest.json")))
        #expect(NSDictionary(dictionary: manifest) == NSDictionary(dictionary: printed["manifest"] as? [String: Any] ?? [:]))
        #expect(Set(manifest.keys) == ["artifact", "environment", "format", "lineage", "mlgate_version", "model", "serve", "uri", "version"])
        #expect(manifest["format"] as? String == "mlgate-package/1" && manifest["model"] as? String == "churn" && manifest["version"] as? Int == 1)
        #expect(manifest["uri"] as? String == "models:/churn/1" && (manifest["mlgate_version"] as? String)?.isEmpty == false)

        // The model: its files with the hashes of the tree manifest, and the bytes on disk match them.
        let artifact = try #require(manifest["artifact"] as? [String: Any])
        #expect(artifact["sha256"] as? String == version["artifact"] as? String)
        #expect(artifact["path"] as? String == "model/model" && artifact["is_directory"] as? Bool == true)
        let modelFiles = artifact["files"] as? [[String: Any]] ?? []
        #expect(modelFiles.compactMap { $0["path"] as? String } == ["model/model/NOTES.txt", "model/model/model.json"])
        for file in modelFiles {
            let path = try #require(file["path"] as? String)
            #expect(file["sha256"] as? String == (try sha256(out + "/" + path)), "\(path)")
            #expect(file["size"] as? Int == (try FileManager.default.attributesOfItem(atPath: out + "/" + path)[.size] as? Int))
        }
        #expect(fixture.read(out + "/model/model/model.json") == handMadeChurnModel)

        // Lineage: what the registry knows, nulls present.
        let lineage = try #require(manifest["lineage"] as? [String: Any])
        #expect(lineage["commit"] as? String == (try fixture.head()) && lineage["branch"] as? String == "main" && lineage["run"] as? Int == 1)
        #expect(NSDictionary(dictionary: lineage["data_hashes"] as? [String: String] ?? [:]) == NSDictionary(dictionary: version["data_hashes"] as? [String: String] ?? ["": ""]))
        #expect(lineage["registered_by"] as? String == "Ada Lovelace <ada@example.com>" && lineage["registered_at"] as? String == version["created_at"] as? String)
        #expect(lineage["verdict_digest"] is NSNull && lineage["gate_passed"] is NSNull)

        // The environment: the stage's environment file and the run's pip freeze, written as requirements.lock.
        let environment = try #require(manifest["environment"] as? [String: Any])
        #expect(environment["file"] as? String == "models/churn/requirements.txt")
        #expect(environment["file_sha256"] as? String == (try sha256(fixture.root + "/models/churn/requirements.txt")))
        let lock = try #require(environment["requirements_lock"] as? [String: Any])
        let lockHash = try sha256(out + "/requirements.lock")
        #expect(lock["path"] as? String == "requirements.lock" && lock["sha256"] as? String == lockHash)
        let pins = (fixture.read(out + "/requirements.lock") ?? "").split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lock["requirements"] as? Int == pins.count, "\(pins)")
        if environment["packages_tool"] as? String == "pip freeze" {  // python3 -m pip works here (it does on the machines CI uses)
            #expect(environment["packages_object"] as? String != nil && !pins.isEmpty, "\(environment)")
        } else {
            #expect(pins.isEmpty, "\(environment)")
        }

        // Serving: the command with {model} and {port} resolved relative to its working folder, and each file's hash.
        let serve = try #require(manifest["serve"] as? [String: Any])
        #expect(serve["argv"] as? [String] == ["python3", "serve.py", "--model", "../model/model", "--port", "8080", "--host", "127.0.0.1"])
        #expect(serve["command"] as? String == "python3 serve.py --model ../model/model --port 8080 --host 127.0.0.1")
        #expect(serve["workdir"] as? String == "app" && serve["port"] as? Int == 8080 && serve["health"] as? String == "/health")
        let head = try fixture.head()
        // The base image is the Python the run recorded, so the pins of requirements.lock install there.
        let python = (environment["python"] as? String)?.split(separator: " ").last?.split(separator: ".").prefix(2).joined(separator: ".")
        #expect(serve["image"] as? String == python.map { "python:\($0)-slim" } ?? "python:3.12-slim", "\(environment)")
        #expect(serve["source_commit"] as? String == head)
        let appFiles = serve["files"] as? [[String: Any]] ?? []
        #expect(appFiles.compactMap { $0["path"] as? String } == ["app/serve.py", "app/predict.py", "app/common.py"])
        for file in appFiles {
            let path = try #require(file["path"] as? String), source = try #require(file["source"] as? String)
            let (packaged, original) = (try sha256(out + "/" + path), try sha256(fixture.root + "/" + source))
            #expect(file["sha256"] as? String == packaged && packaged == original, "\(path)")
        }

        // Nothing else is in the package, and --json lists exactly what is.
        let expected = (modelFiles + appFiles).compactMap { $0["path"] as? String } + ["requirements.lock", "manifest.json", "Dockerfile", ".dockerignore"]
        #expect(filesUnder(out) == expected.sorted())
        #expect(printed["files"] as? [String] == expected.sorted())
        // No temporary folder is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.base + "/dist") == ["churn"])
    }

    @Test("refusals exit 2 and write nothing: unknown model or version, DIR in the way, --force on a folder that is not a package")
    func refusals() throws {
        let fixture = try packageRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src"]).status == 0)
        let out = fixture.base + "/dist/churn"
        for (arguments, message) in [(["package", "nope/1"], "there is no model 'nope'"), (["package", "churn/9"], "no version 9"),
                                     (["package", "churn@gone"], "no alias 'gone'"), (["package", "churn/x"], "positive whole number")] {
            let result = try fixture.mlgate(arguments + ["--out", out])
            #expect(result.status == 2 && result.stderr.contains(message), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: fixture.base + "/dist"))
        }
        try fixture.write(out + "/keep.txt", "mine")
        let before = try snapshot(of: fixture.base + "/dist")
        let busy = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(busy.status == 2 && busy.stderr.contains("is not empty") && busy.stderr.contains("--force"), "\(busy)")
        let notPackage = try fixture.mlgate(["package", "churn/1", "--out", out, "--force"])
        #expect(notPackage.status == 2 && notPackage.stderr.contains("not an mlgate package"), "\(notPackage)")
        let repository = try fixture.mlgate(["package", "churn/1", "--out", ".", "--force"])
        #expect(repository.status == 2 && repository.stderr.contains("holds the repository"), "\(repository)")
        let store = try fixture.mlgate(["package", "churn/1", "--out", ".mlgate/pkg"])
        #expect(store.status == 2 && store.stderr.contains("belongs to git or mlgate"), "\(store)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.mlgate/pkg"))
        #expect(try snapshot(of: fixture.base + "/dist") == before)

        // An empty folder is fine; a package is replaced with --force, and only then.
        try FileManager.default.removeItem(atPath: out + "/keep.txt")
        #expect(try fixture.mlgate(["package", "churn", "--out", out]).status == 0)
        let again = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(again.status == 2, "\(again)")
        #expect(try fixture.mlgate(["package", "churn/1", "--out", out, "--force"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.base + "/dist") == ["churn"])
    }

    @Test("a bad serve section is refused at its line, and a missing serve file is named; nothing is written")
    func badServe() throws {
        let fixture = try packageRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src"]).status == 0)
        let out = fixture.base + "/dist/churn"
        let good = try #require(fixture.read("mlgate.yaml"))
        try replaceConfig(fixture, good.replacingOccurrences(of: "files: [serve.py", with: "filez: [serve.py"))
        let line = try #require(good.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("files: [serve.py") }) + 1
        let typo = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(typo.status == 2 && typo.stderr.contains("mlgate.yaml:\(line):") && typo.stderr.contains("did you mean 'files'"), "\(typo)")
        try replaceConfig(fixture, good.replacingOccurrences(of: "files: [serve.py", with: "files: [../../../outside.py, serve.py"))
        let outside = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(outside.status == 2 && outside.stderr.contains("mlgate.yaml:\(line):") && outside.stderr.contains("outside the repository"), "\(outside)")
        try replaceConfig(fixture, good.replacingOccurrences(of: "files: [serve.py", with: "files: [server.py"))
        let missing = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(missing.status == 2 && missing.stderr.contains("models/churn/server.py") && missing.stderr.contains("does not exist"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: fixture.base + "/dist"))
        // The same check guards a directory deploy: refused before anything is recorded.
        try replaceConfig(fixture, good.replacingOccurrences(of: "files: [serve.py", with: "files: [server.py")
                          + "deploy:\n  prod: {type: directory, path: served}\n")
        let deploy = try fixture.mlgate(["deploy", "churn/1", "--target", "prod"])
        #expect(deploy.status == 2 && deploy.stderr.contains("server.py"), "\(deploy)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/served"))
        #expect((try jsonObject(try fixture.mlgate(["deploy", "status", "--json"]).stdout)["deployments"] as? [Any])?.isEmpty == true)
    }

    @Test("the Dockerfile: FROM first, every COPY source in the package, EXPOSE the port, JSON exec CMD, a non-root USER, a HEALTHCHECK")
    func dockerfileLint() throws {
        // A string command this time: the CMD runs it with /bin/sh -c.
        let fixture = try packageRepository(serve: """
                serve:
                  wdir: models/churn
                  cmd: python3 serve.py --model {model} --port {port}
                  files: [serve.py, predict.py, common.py]
            """)
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        let out = fixture.base + "/package"
        #expect(try fixture.mlgate(["package", "models:/churn/1", "--out", out]).status == 0)
        let manifest = try jsonObject(try #require(fixture.read(out + "/manifest.json")))
        let serve = try #require(manifest["serve"] as? [String: Any])
        let text = try #require(fixture.read(out + "/Dockerfile"))
        let instructions = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { line -> (String, String) in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (String(parts[0]).uppercased(), parts.count > 1 ? String(parts[1]) : "")
            }
        #expect(instructions.first?.0 == "FROM" && instructions.first?.1 == serve["image"] as? String)
        let ignore = fixture.read(out + "/.dockerignore") ?? ""
        let copies = instructions.filter { $0.0 == "COPY" }
        #expect(copies.count >= 4)
        for (_, arguments) in copies {
            let words = arguments.split(separator: " ").map(String.init)
            #expect(words.count == 2 && !words[0].hasPrefix("/") && !words[0].contains(".."), "\(arguments)")
            let source = words[0].hasSuffix("/") ? String(words[0].dropLast()) : words[0]
            #expect(FileManager.default.fileExists(atPath: out + "/" + source), "COPY \(arguments)")
            #expect(ignore.split(separator: "\n").contains { $0 == "!" + source }, ".dockerignore keeps \(source)")
        }
        #expect(instructions.filter { $0.0 == "EXPOSE" }.map(\.1) == [String(serve["port"] as? Int ?? 0)])
        let users = instructions.filter { $0.0 == "USER" }.map(\.1)
        #expect(users.count == 1 && !["root", "0", "0:0"].contains(users.first ?? "root") && !(users.first ?? "").hasPrefix("root:"))
        let userIndex = try #require(instructions.firstIndex { $0.0 == "USER" })
        #expect(instructions.lastIndex { $0.0 == "RUN" }.map { $0 < userIndex } ?? true, "nothing runs as root after USER… and USER comes after the RUNs")
        let commands = instructions.filter { $0.0 == "CMD" }
        #expect(commands.count == 1)
        let argv = try JSONSerialization.jsonObject(with: Data((commands.first?.1 ?? "").utf8)) as? [String]
        #expect(argv == serve["argv"] as? [String])
        #expect(argv == ["/bin/sh", "-c", "python3 serve.py --model '../model/model' --port '8080'"])
        let health = try #require(instructions.first { $0.0 == "HEALTHCHECK" }?.1)
        let probe = try #require(health.range(of: "CMD ").map { String(health[$0.upperBound...]) })
        let probeArgv = try JSONSerialization.jsonObject(with: Data(probe.utf8)) as? [String] ?? []
        #expect(probeArgv.first == "python3" && probeArgv.joined().contains("urllib") && probeArgv.joined().contains("127.0.0.1:8080/health"), "\(probeArgv)")
        let workdirs = instructions.filter { $0.0 == "WORKDIR" }.map(\.1)
        #expect(workdirs.first == "/srv/model" && workdirs.last == "/srv/model/" + (serve["workdir"] as? String ?? ""))
        let lock = (manifest["environment"] as? [String: Any])?["requirements_lock"] as? [String: Any]
        #expect(text.contains("pip install --no-cache-dir -r requirements.lock") == ((lock?["requirements"] as? Int ?? 0) > 0))
    }

    @Test("a model without 'serve' packages without a Dockerfile, and says how to get one")
    func withoutServe() throws {
        let fixture = try packageRepository(serve: "")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src/model.json"]).status == 0)
        let out = fixture.base + "/plain"
        let result = try fixture.mlgate(["package", "churn/1", "--out", out])
        #expect(result.status == 0 && result.stdout.contains("no Dockerfile") && result.stdout.contains("models.churn.serve"), "\(result)")
        #expect(filesUnder(out) == ["manifest.json", "model/model.json", "requirements.lock"])
        let manifest = try jsonObject(try #require(fixture.read(out + "/manifest.json")))
        #expect(manifest["serve"] is NSNull)
        let artifact = manifest["artifact"] as? [String: Any] ?? [:]
        #expect(artifact["is_directory"] as? Bool == false && (artifact["files"] as? [[String: Any]])?.first?["sha256"] as? String == artifact["sha256"] as? String)
        let environment = manifest["environment"] as? [String: Any] ?? [:]
        #expect(environment["file"] is NSNull && environment["packages_object"] is NSNull)
        #expect((environment["requirements_lock"] as? [String: Any])?["requirements"] as? Int == 0)
        #expect(fixture.read(out + "/requirements.lock")?.contains("registered from a path") == true)
    }

    @Test("the package serves: its command answers /health, and /predict scores rows exactly as predict.py does")
    func serves() throws {
        let port = try freePort()
        let fixture = try packageRepository(serve: """
                serve:
                  wdir: models/churn
                  cmd: [python3, serve.py, --model, "{model}", --port, "{port}", --host, 127.0.0.1]
                  files: [serve.py, predict.py, common.py]
                  port: \(port)
            """)
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src"]).status == 0)
        let out = fixture.base + "/package"
        #expect(try fixture.mlgate(["package", "churn/1", "--out", out]).status == 0)
        let manifest = try jsonObject(try #require(fixture.read(out + "/manifest.json")))
        let serve = try #require(manifest["serve"] as? [String: Any])
        let argv = try #require(serve["argv"] as? [String])
        #expect(argv == ["python3", "serve.py", "--model", "../model/model.src", "--port", String(port), "--host", "127.0.0.1"])
        #expect(serve["image"] as? String == "python:3.12-slim")  // registered from a path: no Python version was recorded

        let server = try BackgroundProcess("/usr/bin/env", argv, in: out + "/" + (serve["workdir"] as? String ?? ""), environment: fixture.environment)
        defer {
            server.send(SIGKILL)  // the test runner's children inherit a mask that blocks SIGTERM
            _ = server.wait()
        }
        // A client in Python: poll /health, then POST the rows of rows.csv.
        let client = """
            import csv, json, sys, time, urllib.request
            base = "http://127.0.0.1:%s" % sys.argv[1]
            for _ in range(100):
                try:
                    health = json.load(urllib.request.urlopen(base + "/health", timeout=1)); break
                except OSError:
                    time.sleep(0.1)
            else:
                sys.exit("no /health")
            rows = list(csv.DictReader(open(sys.argv[2])))
            request = urllib.request.Request(base + "/predict", data=json.dumps({"rows": rows}).encode(), headers={"Content-Type": "application/json"})
            scores = json.load(urllib.request.urlopen(request, timeout=5))["scores"]
            print(json.dumps({"health": health, "scores": [repr(score) for score in scores]}))  # repr: the exact double, as predict.py writes it
            """
        let answer = try runProcess("/usr/bin/env", ["python3", "-c", client, String(port), fixture.root + "/models/churn/rows.csv"], in: fixture.base,
                                    environment: fixture.environment)
        #expect(answer.status == 0, "\(answer)\n\(server.stderr)")
        let replies = try jsonObject(answer.stdout)
        #expect((replies["health"] as? [String: Any])?["status"] as? String == "ok")
        let served = replies["scores"] as? [String] ?? []

        // predict.py, on the packaged model, writes the same scores for the same rows.
        let predicted = try runProcess("/usr/bin/env", ["python3", "predict.py", "--model", out + "/model/model.src", "--data", "rows.csv", "--out", fixture.base + "/p.csv"],
                                       in: fixture.root + "/models/churn", environment: fixture.environment)
        #expect(predicted.status == 0, "\(predicted)")
        let expected = (fixture.read(fixture.base + "/p.csv") ?? "").split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[2]) }
        #expect(expected.count == 4 && served == expected, "\(served) vs \(expected)")

        // A bad row is a 400 with the reason, and the server keeps serving.
        let bad = try runProcess("/usr/bin/env", ["python3", "-c", """
            import json, sys, urllib.error, urllib.request
            base = "http://127.0.0.1:%s" % sys.argv[1]
            try:
                urllib.request.urlopen(urllib.request.Request(base + "/predict", data=b'{"rows": [{"region": "mars"}]}'))
            except urllib.error.HTTPError as e:
                print(e.code, json.load(e)["error"])
            print(json.load(urllib.request.urlopen(base + "/health"))["status"])
            """, String(port)], in: fixture.base, environment: fixture.environment)
        #expect(bad.stdout.hasPrefix("400 bad request: row 0") && bad.stdout.hasSuffix("ok\n"), "\(bad)")
    }

    @Test("a directory deploy target publishes the package when the model declares 'serve'; an unchanged package is kept")
    func deployPublishesPackage() throws {
        let fixture = try packageRepository(deploy: "deploy:\n  prod: {type: directory, path: served, model: churn@champion}\n")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "champion", "1", "--reason", "first"]).status == 0)
        let deployed = try fixture.mlgate(["deploy", "--target", "prod"])
        #expect(deployed.status == 0, "\(deployed)")
        let current = fixture.root + "/served/current"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == "versions/churn-v1")
        let published = filesUnder(fixture.root + "/served/versions/churn-v1")
        #expect(published.contains("Dockerfile") && published.contains("app/serve.py") && published.contains("model/model.src/model.json"), "\(published)")
        let manifest = try jsonObject(try #require(fixture.read(current + "/manifest.json")))
        #expect(manifest["format"] as? String == "mlgate-package/1" && manifest["uri"] as? String == "models:/churn/1")
        // The package mlgate package writes is the same one.
        #expect(try fixture.mlgate(["package", "churn/1", "--out", fixture.base + "/p"]).status == 0)
        #expect(fixture.read(fixture.base + "/p/manifest.json") == fixture.read(current + "/manifest.json"))
        #expect(fixture.read(fixture.base + "/p/Dockerfile") == fixture.read(current + "/Dockerfile"))

        // Deployed again unchanged: the folder is kept. With new serving code: rebuilt, and current shows it.
        let inode = { (try FileManager.default.attributesOfItem(atPath: fixture.root + "/served/versions/churn-v1")[.systemFileNumber] as? Int) ?? -1 }
        let first = try inode()
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        #expect(try inode() == first)
        try fixture.write("models/churn/serve.py", (fixture.read("models/churn/serve.py") ?? "") + "# changed\n")
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        #expect(try inode() != first)
        #expect(fixture.read(current + "/app/serve.py")?.hasSuffix("# changed\n") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/served/versions") == ["churn-v1"])

        // A rollback puts back the folder as it was published, even when the serve files are gone meanwhile.
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "models/churn/model.src"]).status == 0)
        #expect(try fixture.mlgate(["deploy", "churn/2", "--target", "prod", "--force"]).status == 0)
        let publishedV1 = try inode()
        try FileManager.default.removeItem(atPath: fixture.root + "/models/churn/serve.py")
        let rollback = try fixture.mlgate(["rollback", "prod"])
        #expect(rollback.status == 0, "\(rollback)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == "versions/churn-v1" && (try inode()) == publishedV1)
        #expect(fixture.read(current + "/app/serve.py")?.hasSuffix("# changed\n") == true)
    }
}
