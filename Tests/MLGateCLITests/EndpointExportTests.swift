import Foundation
import MLGateTestSupport
import Testing
import Yams

private func endpointRepository(traffic: String = "{blue: 90, green: 10}", mirror: String = "mirror: {shadow: 10}") throws -> GitFixture {
    let fixture = try pipelineRepository("""
        version: 1
        models:
          m:
            artifact: model.txt
            serve: {cmd: [python3, serve.py, --model, '{model}', --port, '{port}'], files: [serve.py], port: 9000, health: /ready}
        endpoints:
          shop:
            port: 8700
            deployments:
              blue: {model: m@production, instances: 2, resources: {cpu: "1"}}
              green: {model: m/2, env: {THREADS: "4"}}
              shadow: {model: m/1}
            traffic: \(traffic)
            \(mirror)
        """, files: ["model.txt": "weights 1\n", "serve.py": "print('serving')\n"])
    #expect(try fixture.mlgate(["models", "register", "m", "--path", "model.txt"]).status == 0)
    try fixture.write("model.txt", "weights 2\n")
    #expect(try fixture.mlgate(["models", "register", "m", "--path", "model.txt"]).status == 0)
    #expect(try fixture.mlgate(["promote", "m", "1", "--to", "staging", "--reason", "t"]).status == 0)
    #expect(try fixture.mlgate(["promote", "m", "1", "--to", "production", "--reason", "t"]).status == 0)
    return fixture
}

private func yaml(_ fixture: GitFixture, _ path: String) throws -> [String: Any] {
    try #require(try Yams.load(yaml: fixture.read(path) ?? "") as? [String: Any])
}

@Suite("endpoints: status and exports to KServe, Azure ML and docker compose")
struct EndpointExportTests {
    @Test("status shows each deployment's model, the version it resolves to, its share and the mirror")
    func status() throws {
        let fixture = try endpointRepository()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["endpoint", "status", "--json"])
        #expect(result.status == 0, "\(result)")
        let endpoints = try jsonObject(result.stdout)["endpoints"] as? [[String: Any]] ?? []
        let deployments = endpoints.first?["deployments"] as? [[String: Any]] ?? []
        #expect(deployments.map { $0["resolves_to"] as? String } == ["models:/m/1", "models:/m/2", "models:/m/1"])
        #expect(deployments.map { $0["traffic"] as? Int } == [90, 10, 0])
        #expect(deployments.map { $0["mirror"] as? Int } == [nil, nil, 10])
    }

    @Test("kserve: the stable revision and a canary with canaryTrafficPercent; the mirror is named as left out")
    func kserve() throws {
        let fixture = try endpointRepository()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["endpoint", "export", "shop", "--format", "kserve", "--out", "k8s", "--image-prefix", "registry.example.com/ml"])
        #expect(result.status == 0 && result.stdout.contains("KServe has no traffic mirror"), "\(result)")
        let stable = try yaml(fixture, "k8s/inferenceservice-stable.yaml")
        let canary = try yaml(fixture, "k8s/inferenceservice-canary.yaml")
        #expect(stable["kind"] as? String == "InferenceService" && stable["apiVersion"] as? String == "serving.kserve.io/v1beta1")
        let stablePredictor = try #require((stable["spec"] as? [String: Any])?["predictor"] as? [String: Any])
        let canaryPredictor = try #require((canary["spec"] as? [String: Any])?["predictor"] as? [String: Any])
        #expect(stablePredictor["canaryTrafficPercent"] == nil && stablePredictor["minReplicas"] as? Int == 2)
        #expect(canaryPredictor["canaryTrafficPercent"] as? Int == 10)
        let container = try #require((canaryPredictor["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "registry.example.com/ml/m:v2")
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9000)
    }

    @Test("kserve refuses a three-way split, naming the other formats; nothing is written")
    func kserveRefusal() throws {
        let fixture = try endpointRepository(traffic: "{blue: 80, green: 10, shadow: 10}", mirror: "")
        defer { fixture.remove() }
        let result = try fixture.mlgate(["endpoint", "export", "shop", "--format", "kserve", "--out", "k8s"])
        #expect(result.status == 2 && result.stderr.contains("splits live traffic 3 ways"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/k8s"))
    }

    @Test("azure: endpoint and deployment YAML, and deploy.sh setting the same traffic and mirror")
    func azure() throws {
        let fixture = try endpointRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["endpoint", "export", "shop", "--format", "azure", "--out", "azure"]).status == 0)
        #expect(try yaml(fixture, "azure/endpoint.yml")["name"] as? String == "shop")
        let green = try yaml(fixture, "azure/green.yml")
        #expect(green["endpoint_name"] as? String == "shop" && green["instance_count"] as? Int == 1)
        #expect((green["environment_variables"] as? [String: Any])?["THREADS"] as? String == "4")
        let script = fixture.read("azure/deploy.sh") ?? ""
        #expect(script.contains("--traffic 'blue=90 green=10'") && script.contains("--mirror-traffic 'shadow=10'"), "\(script)")
    }

    @Test("compose: every deployment's package, and nginx splitting by the same shares and mirroring the same share")
    func compose() throws {
        let fixture = try endpointRepository()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["endpoint", "export", "shop", "--format", "compose", "--out", "compose"])
        #expect(result.status == 0, "\(result)")
        let services = try #require(try yaml(fixture, "compose/docker-compose.yml")["services"] as? [String: Any])
        #expect(Set(services.keys) == ["blue", "green", "shadow", "router"])
        for deployment in ["blue", "green", "shadow"] {
            #expect(FileManager.default.fileExists(atPath: fixture.root + "/compose/\(deployment)/manifest.json"))
            #expect(FileManager.default.fileExists(atPath: fixture.root + "/compose/\(deployment)/Dockerfile"))
        }
        let nginx = fixture.read("compose/nginx.conf") ?? ""
        #expect(nginx.contains("90% blue;") && nginx.contains("* green;") && nginx.contains("10% 1;") && nginx.contains("proxy_pass http://shadow$request_uri;"), "\(nginx)")
    }

    @Test("every export is valid by the engine's own definition (KServe's SDK, Azure ML's loaders, the Compose schema); a damaged one is refused")
    func exportsValidate() throws {
        guard SchemaCheck.shouldRun else { return }
        let fixture = try endpointRepository()
        defer { fixture.remove() }
        let expected: [(format: String, files: [String])] = [
            ("kserve", ["inferenceservice-stable.yaml", "inferenceservice-canary.yaml"]),
            ("azure", ["endpoint.yml", "blue.yml", "green.yml", "shadow.yml"]),
            ("compose", ["docker-compose.yml"]),
        ]
        for (format, files) in expected {
            let result = try fixture.mlgate(["endpoint", "export", "shop", "--format", format, "--out", format, "--image-prefix", "registry.example.com/ml"])
            #expect(result.status == 0, "\(result)")
            let paths = files.map { fixture.root + "/\(format)/" + $0 }
            #expect(try SchemaCheck.problems(format: format, files: paths) == [], "\(format)")
        }
        let script = try runProcess("/bin/sh", ["-n", "azure/deploy.sh"], in: fixture.root, environment: [:])
        #expect(script.status == 0, "\(script)")

        // The checks can fail: a field each engine does not know, in a copy of its file.
        let damaged: [(format: String, file: String, from: String, to: String, field: String)] = [
            ("kserve", "kserve/inferenceservice-canary.yaml", "canaryTrafficPercent:", "canaryTraffic:", "canaryTraffic"),
            ("azure", "azure/green.yml", "instance_count:", "instances:", "instances"),
            ("compose", "compose/docker-compose.yml", "    healthcheck:", "    replicas: 2\n    healthcheck:", "replicas"),
        ]
        for (format, file, from, to, field) in damaged {
            let copy = file.replacingOccurrences(of: ".y", with: "-damaged.y")
            try fixture.write(copy, (fixture.read(file) ?? "").replacingOccurrences(of: from, with: to))
            let problems = try SchemaCheck.problems(format: format, files: [fixture.root + "/" + copy])
            #expect(problems.contains { $0.contains(field) }, "\(format): \(problems)")
        }
    }
}
