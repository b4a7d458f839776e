import ArgumentParser
import MLGateCore
import MLGateDeploy
import MLGateRegistry
import MLGateWorkspace

/// `mlgate collect`: what production sends and gets back, as endpoints collect it.
struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Add ground truth to what an endpoint collected.",
        discussion: "Endpoints with 'collect:' record each sampled request and answer (docs/serving.md#production-data-collection).",
        subcommands: [Labels.self])

    struct Labels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "labels", abstract: "Record ground truth for served requests, joined to them by request id.",
            discussion: """
                FILE (CSV, TSV, JSON Lines or Feather) has one row per request: its x-request-id (the correlationid of \
                the collected records) and the true outcome. The labels are written under the endpoint's collect folder \
                (labels/YYYY/MM/DD/HH/), and the command says how many match a collected request. An empty or repeated \
                id, or an empty label, is refused at its line with exit 2, and nothing is written.
                """)

        @Argument(help: "The file of labels.") var file: String
        @Option(help: "The endpoint whose requests they label (the only one when left out).") var endpoint: String?
        @Option(help: "The column holding the request id.") var id = "correlation_id"
        @Option(help: "The column holding the ground truth.") var label = "label"
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let endpoints = try registry.workspace.configuration().endpoints.map(\.name)
            guard let name = endpoint ?? (endpoints.count == 1 ? endpoints.first : nil) else {
                throw ValidationError("say which endpoint with --endpoint; mlgate.yaml declares \(endpoints.isEmpty ? "none" : endpoints.joined(separator: ", ")).")
            }
            let summary = try GroundTruth(endpoint: name, registry: registry).record(file, idColumn: id, labelColumn: label)
            if json { return try Output.json(summary) }
            print("endpoint \(name): \(summary.labels) labels recorded in \(summary.written); \(summary.joined) match a collected request.")
            if summary.unmatched > 0 {
                registry.reporter.warning("\(summary.unmatched) match no collected request (not sampled, or not served by this endpoint), such as \(summary.unmatchedExamples.prefix(3).joined(separator: ", ")).")
            }
        }
    }
}
