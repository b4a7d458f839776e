import Foundation
package import MLGateCore
package import MLGateRegistry
import MLGateStore
import MLGateWorkspace

/// The engines an endpoint can be exported to.
package enum EndpointExportFormat: String, CaseIterable, Sendable {
    /// KServe `InferenceService` (serverless), the canary as `canaryTrafficPercent`.
    case kserve
    /// Azure ML managed online endpoint and deployment YAML, with the `az ml` lines that set traffic and mirror.
    case azure
    /// docker compose: each deployment's package and an nginx in front splitting traffic by the same shares.
    case compose
}

/// An endpoint of `mlgate.yaml` with every deployment resolved to its version, written out for an engine that
/// already runs models: the same deployments, shares and mirror, in that engine's own files.
package struct EndpointExport {
    /// A deployment and what it serves.
    package typealias Resolved = ResolvedDeployment

    package let registry: RegistryContext
    package let endpoint: EndpointSpec
    package let deployments: [Resolved]

    /// The endpoint `name`, each deployment's model resolved in the registry; refused when a model resolves to
    /// nothing, to a version that is not active, or to one whose model declares no `serve`.
    package init(endpoint name: String, registry: RegistryContext) throws {
        let configuration = try registry.workspace.configuration()
        guard let declared = configuration.endpoints.first(where: { $0.name == name }) else {
            throw UsageError("there is no endpoint '\(name)' in mlgate.yaml; the endpoints are \(configuration.endpoints.isEmpty ? "(none)" : configuration.endpoints.map(\.name).joined(separator: ", ")).")
        }
        self.registry = registry
        // The traffic in force: mlgate.yaml's until a rollout command changed it.
        let endpoint = try EndpointControl(endpoint: declared.name, registry: registry).inForce()
        self.endpoint = endpoint
        deployments = try ResolvedDeployment.resolve(endpoint, registry: registry, configuration: configuration)
    }

    /// The files of the export, by path relative to the output folder, and notes for the person (what an engine
    /// cannot express). The compose export also needs `writePackages(into:)`.
    package func files(_ format: EndpointExportFormat, imagePrefix: String) throws -> (files: [(path: String, text: String)], notes: [String]) {
        switch format {
        case .kserve: return try kserve(imagePrefix: imagePrefix)
        case .azure: return (azure(imagePrefix: imagePrefix), [])
        case .compose: return (compose(imagePrefix: imagePrefix), endpoint.mirror == nil ? [] : ["the mirror is nginx's 'mirror' of the sampled share; its answers are discarded"])
        }
    }

    /// Writes every deployment's package (`mlgate package`) into `folder/<deployment>/`, for the compose export.
    package func writePackages(into folder: String) throws {
        for resolved in deployments {
            let plan = try ModelPackager(registry: registry, version: resolved.version).plan()
            let destination = folder + "/" + resolved.deployment.name
            try PackageFolder.checkCanWrite(destination, force: true, workspace: registry.workspace)
            try StagedDirectory.publish(destination, replacing: true) { try plan.write(into: $0) }
        }
    }

    // MARK: - Formats

    private func image(_ resolved: Resolved, prefix: String) -> String {
        "\(prefix)/\(resolved.version.model):v\(resolved.version.version)"
    }

    private func kserve(imagePrefix: String) throws -> (files: [(path: String, text: String)], notes: [String]) {
        let live = deployments.filter { (endpoint.traffic.weights[$0.deployment.name] ?? 0) > 0 }
            .sorted { (endpoint.traffic.weights[$0.deployment.name] ?? 0, $1.deployment.name) > (endpoint.traffic.weights[$1.deployment.name] ?? 0, $0.deployment.name) }
        guard let stable = live.first else {
            throw UsageError("endpoint '\(endpoint.name)' sends no live traffic (every share is 0); KServe needs a deployment that serves, so set one's share first ('traffic' in mlgate.yaml).")
        }
        guard live.count <= 2 else {
            throw UsageError("endpoint '\(endpoint.name)' splits live traffic \(live.count) ways (\(endpoint.traffic.description)); KServe's canary splits two revisions only. Export to azure or compose, or give at most two deployments a share.")
        }
        var notes: [String] = []
        if let mirror = endpoint.mirror { notes.append("KServe has no traffic mirror: the mirror to '\(mirror.deployment)' (\(mirror.percent)%) is left out") }
        var files = [(path: "inferenceservice-stable.yaml", text: inferenceService(stable, imagePrefix: imagePrefix, canary: nil))]
        if live.count == 2 {
            let canary = live[1]
            files.append((path: "inferenceservice-canary.yaml",
                          text: inferenceService(canary, imagePrefix: imagePrefix, canary: endpoint.traffic.weights[canary.deployment.name] ?? 0)))
            notes.append("apply inferenceservice-stable.yaml, then inferenceservice-canary.yaml: KServe splits between the latest revision (\(canary.deployment.name), \(endpoint.traffic.weights[canary.deployment.name] ?? 0)%) and the one before it (\(stable.deployment.name))")
        }
        return (files, notes)
    }

    private func inferenceService(_ resolved: Resolved, imagePrefix: String, canary: Int?) -> String {
        var lines = [
            "# Written by mlgate endpoint export from mlgate.yaml: endpoint \(endpoint.name), deployment \(resolved.deployment.name), \(resolved.version.uri).",
            "apiVersion: serving.kserve.io/v1beta1",
            "kind: InferenceService",
            "metadata:",
            "  name: \(Self.quoted(endpoint.name))",
            "  labels:",
            "    mlgate.dev/model: \(Self.quoted(resolved.version.model))",
            "    mlgate.dev/version: \(Self.quoted(String(resolved.version.version)))",
            "    mlgate.dev/deployment: \(Self.quoted(resolved.deployment.name))",
            "spec:",
            "  predictor:",
        ]
        if let canary { lines.append("    canaryTrafficPercent: \(canary)") }
        lines.append("    minReplicas: \(resolved.deployment.instances)")
        lines += container(resolved, imagePrefix: imagePrefix, indent: "    ", kserve: true)
        return lines.joined(separator: "\n") + "\n"
    }

    private func container(_ resolved: Resolved, imagePrefix: String, indent: String, kserve: Bool) -> [String] {
        var lines = [
            "\(indent)containers:",
            "\(indent)  - name: kserve-container",
            "\(indent)    image: \(Self.quoted(image(resolved, prefix: imagePrefix)))",
            "\(indent)    ports:",
            "\(indent)      - containerPort: \(resolved.serve.port)",
            "\(indent)        protocol: TCP",
            "\(indent)    readinessProbe:",
            "\(indent)      httpGet: {path: \(Self.quoted(resolved.serve.health)), port: \(resolved.serve.port)}",
        ]
        let environment = Self.environment(resolved)
        lines.append("\(indent)    env:")
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            lines.append("\(indent)      - {name: \(Self.quoted(name)), value: \(Self.quoted(value))}")
        }
        if !resolved.deployment.resources.isEmpty {
            lines.append("\(indent)    resources:")
            for key in ["requests", "limits"] {
                lines.append("\(indent)      \(key):")
                for (name, value) in resolved.deployment.resources.sorted(by: { $0.key < $1.key }) {
                    lines.append("\(indent)        \(name): \(Self.quoted(value))")
                }
            }
        }
        return lines
    }

    private func azure(imagePrefix: String) -> [(path: String, text: String)] {
        var files: [(path: String, text: String)] = [(path: "endpoint.yml", text: """
            # Written by mlgate endpoint export from mlgate.yaml (endpoint \(endpoint.name)).
            $schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
            name: \(Self.quoted(endpoint.name))
            auth_mode: key

            """)]
        var script = ["#!/bin/sh", "# Written by mlgate endpoint export: creates endpoint \(endpoint.name) and its deployments, then sets traffic as mlgate.yaml does.",
                      "set -eu", "az ml online-endpoint create --name \(Self.shell(endpoint.name)) -f endpoint.yml"]
        for resolved in deployments {
            var lines = [
                "# Written by mlgate endpoint export: deployment \(resolved.deployment.name) of endpoint \(endpoint.name), \(resolved.version.uri).",
                "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json",
                "name: \(Self.quoted(resolved.deployment.name))",
                "endpoint_name: \(Self.quoted(endpoint.name))",
                "environment:",
                "  image: \(Self.quoted(image(resolved, prefix: imagePrefix)))",
                "  inference_config:",
                "    liveness_route: {port: \(resolved.serve.port), path: \(Self.quoted(resolved.serve.health))}",
                "    readiness_route: {port: \(resolved.serve.port), path: \(Self.quoted(resolved.serve.health))}",
                "    scoring_route: {port: \(resolved.serve.port), path: \"/\"}",
                "instance_type: \(Self.quoted(resolved.deployment.resources["instance_type"] ?? "Standard_DS3_v2"))",
                "instance_count: \(resolved.deployment.instances)",
                "environment_variables:",
            ]
            let environment = Self.environment(resolved)
            for (name, value) in environment.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(Self.quoted(value))") }
            lines += ["request_settings:", "  request_timeout_ms: 5000", "  max_concurrent_requests_per_instance: 1"]
            files.append((path: "\(resolved.deployment.name).yml", text: lines.joined(separator: "\n") + "\n"))
            script.append("az ml online-deployment create --name \(Self.shell(resolved.deployment.name)) --endpoint-name \(Self.shell(endpoint.name)) -f \(Self.shell(resolved.deployment.name + ".yml"))")
        }
        if endpoint.traffic.total > 0 {
            script.append("az ml online-endpoint update --name \(Self.shell(endpoint.name)) --traffic \(Self.shell(endpoint.traffic.description))")
        }
        if let mirror = endpoint.mirror {
            script.append("az ml online-endpoint update --name \(Self.shell(endpoint.name)) --mirror-traffic \(Self.shell("\(mirror.deployment)=\(mirror.percent)"))")
        }
        files.append((path: "deploy.sh", text: script.joined(separator: "\n") + "\n"))
        return files
    }

    private func compose(imagePrefix: String) -> [(path: String, text: String)] {
        var services = ["# Written by mlgate endpoint export from mlgate.yaml (endpoint \(endpoint.name)): each deployment's package, and nginx",
                        "# in front splitting live traffic by the same shares. Build and start: docker compose up --build",
                        "services:"]
        for resolved in deployments {
            services += [
                "  \(resolved.deployment.name):",
                "    build: \(Self.quoted("./" + resolved.deployment.name))",
                "    image: \(Self.quoted(image(resolved, prefix: imagePrefix)))",
                "    deploy: {replicas: \(resolved.deployment.instances)}",
                "    environment:",
            ]
            let environment = Self.environment(resolved)
            for (name, value) in environment.sorted(by: { $0.key < $1.key }) { services.append("      \(name): \(Self.quoted(value))") }
            services += ["    healthcheck:",
                         "      test: [\"CMD\", \"python3\", \"-c\", \(Self.quoted("import urllib.request; urllib.request.urlopen('http://127.0.0.1:\(resolved.serve.port)\(resolved.serve.health)')"))]"]
        }
        services += [
            "  router:",
            "    image: \"nginx:1.27-alpine\"",
            "    ports: [\(Self.quoted("\(endpoint.port):8080"))]",
            "    volumes: [\"./nginx.conf:/etc/nginx/nginx.conf:ro\"]",
            "    depends_on: [\(deployments.map { Self.quoted($0.deployment.name) }.joined(separator: ", "))]",
        ]
        var nginx = ["# Written by mlgate endpoint export: routes as endpoint \(endpoint.name) does in mlgate.yaml.",
                     "events {}", "http {"]
        for resolved in deployments {
            nginx.append("    upstream \(resolved.deployment.name) { server \(resolved.deployment.name):\(resolved.serve.port); }")
        }
        let live = endpoint.traffic.weights.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        nginx.append("    split_clients \"${request_id}\" $split {")
        for (index, share) in live.enumerated() {
            nginx.append(index == live.count - 1 ? "        * \(share.key);" : "        \(share.value)% \(share.key);")
        }
        nginx.append("    }")
        nginx += ["    map $http_mlgate_deployment $pinned { default $http_mlgate_deployment; \"\" $http_azureml_model_deployment; }",
                  "    map $pinned $deployment { default $pinned; \"\" $split; }"]
        if let mirror = endpoint.mirror {
            nginx += ["    split_clients \"${request_id}m\" $mirrored { \(mirror.percent)% 1; * \"\"; }"]
        }
        nginx += ["    server {", "        listen 8080;", "        location / {",
                  "            add_header mlgate-deployment $deployment always;",
                  "            proxy_set_header x-request-id $request_id;",
                  "            proxy_pass http://$deployment;"]
        if endpoint.mirror != nil { nginx.append("            mirror /-/mirror;") }
        nginx.append("        }")
        if let mirror = endpoint.mirror {
            nginx += ["        location = /-/mirror {", "            internal;", "            if ($mirrored = \"\") { return 204; }",
                      "            proxy_pass http://\(mirror.deployment)$request_uri;", "        }"]
        }
        nginx += ["    }", "}"]
        return [(path: "docker-compose.yml", text: services.joined(separator: "\n") + "\n"), (path: "nginx.conf", text: nginx.joined(separator: "\n") + "\n")]
    }

    /// A deployment's environment in every export: its `env`, and the version it serves as `MLGATE_MODEL_URI`.
    private static func environment(_ resolved: Resolved) -> [String: String] {
        resolved.deployment.environment.merging(["MLGATE_MODEL_URI": resolved.version.uri]) { declared, _ in declared }
    }

    /// A YAML scalar that reads back as exactly this string (a JSON string is a YAML double-quoted scalar).
    private static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    /// A word for `sh`.
    private static func shell(_ text: String) -> String { ShellWord.quoted(text) }
}
