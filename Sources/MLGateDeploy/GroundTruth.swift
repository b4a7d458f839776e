package import Foundation
package import MLGateCore
import MLGateData
package import MLGateRegistry
import MLGateWorkspace

/// `mlgate collect labels`: ground truth for served requests, recorded beside what the endpoint collected and
/// joined to it by correlation id (the request id the router gave each request), for the monitor's performance
/// signal. The whole file is checked first; a refused file writes nothing.
package struct GroundTruth {
    /// What was recorded (docs/json.md#mlgate-collect-labels---json).
    package struct Summary: Encodable, Sendable {
        /// The input file.
        package let file: String
        /// The endpoint.
        package let endpoint: String
        /// The labels recorded.
        package let labels: Int
        /// How many of them match a collected request.
        package let joined: Int
        /// How many match none (requests not sampled, or ids from elsewhere).
        package let unmatched: Int
        /// Up to ten of those ids.
        package let unmatchedExamples: [String]
        /// The file the labels were written to.
        package let written: String

        enum CodingKeys: String, CodingKey {
            case file, endpoint, labels, joined, unmatched, written
            case unmatchedExamples = "unmatched_examples"
        }
    }

    package let registry: RegistryContext
    package let endpoint: EndpointSpec

    /// Labels for endpoint `name`, which must collect (`collect:` in mlgate.yaml).
    package init(endpoint name: String, registry: RegistryContext) throws {
        let control = try EndpointControl(endpoint: name, registry: registry)
        guard control.endpoint.collect != nil else {
            throw UsageError("endpoint '\(name)' collects nothing, so there is nothing to join labels to; add collect: {sample: 1.0} to endpoints.\(name) in mlgate.yaml (docs/config.md#endpoints).")
        }
        self.registry = registry
        endpoint = control.endpoint
    }

    /// Reads `file` (CSV, TSV, JSON Lines, Feather), its `idColumn` and `labelColumn`, refuses empty or repeated ids at
    /// their line, and writes one record per row under `{collect root}/{endpoint}/labels/YYYY/MM/DD/HH/`.
    package func record(_ file: String, idColumn: String, labelColumn: String, now: Date = Date()) throws -> Summary {
        let path = file.hasPrefix("/") ? file : registry.workspace.root + "/" + file
        let table: DataTable
        do { table = try DataReader.read(path, columns: [ColumnRequest(idColumn, .text), ColumnRequest(labelColumn, .text)]) } catch {
            throw UsageError("\(error.description) Give the request ids with --id and the ground truth with --label.")
        }
        let ids = table.texts[idColumn] ?? []
        let labels = table.texts[labelColumn] ?? []
        let lines = table.lines
        var seen: [String: Int] = [:]
        for (row, id) in ids.enumerated() {
            let line = lines.map { "\(file):\($0[row])" } ?? "\(file), row \(row + 1)"
            guard !id.isEmpty else { throw UsageError("\(line): the request id ('\(idColumn)') is empty; every label needs the x-request-id of its request.") }
            if let first = seen.updateValue(row, forKey: id) {
                let earlier = lines.map { "line \($0[first])" } ?? "row \(first + 1)"
                throw UsageError("\(line): request id '\(id)' is given twice (also at \(earlier)); give one label per request.")
            }
            guard !labels[row].isEmpty else { throw UsageError("\(line): the label ('\(labelColumn)') of request '\(id)' is empty.") }
        }
        guard !ids.isEmpty else { throw UsageError("\(file) holds no labels.") }
        let root = CollectedData.root(endpoint.collect ?? CollectSettings(), workspace: registry.workspace)
        let collected = CollectedData.correlationIDs(root: root, endpoint: endpoint.name)
        let unmatched = ids.filter { !collected.contains($0) }
        let time = CollectedData.timestamp(now)
        let source = JSONText.quoted("/endpoints/\(endpoint.name)")
        var text = ""
        for (id, label) in zip(ids, labels) {
            let value = Double(label).map { $0.isFinite ? label : JSONText.quoted(label) } ?? JSONText.quoted(label)
            text += "{\"specversion\":\"1.0\",\"id\":\(JSONText.quoted(UUID().uuidString.lowercased())),\"source\":\(source),"
                + "\"type\":\"mlgate.ground_truth\",\"datacontenttype\":\"application/json\",\"time\":\(JSONText.quoted(time)),"
                + "\"data\":{\"label\":\(value)},\"correlationid\":\(JSONText.quoted(id)),\"file\":\(JSONText.quoted((file as NSString).lastPathComponent))}\n"
        }
        let written = "\(root)/\(endpoint.name)/labels/\(CollectedData.hourFolder(now))/labels-\(Int64(now.timeIntervalSince1970 * 1000))-\(getpid()).jsonl"
        try AtomicFile.write(text, to: written, createFolders: true)
        return Summary(file: file, endpoint: endpoint.name, labels: ids.count, joined: ids.count - unmatched.count, unmatched: unmatched.count,
                       unmatchedExamples: Array(unmatched.prefix(10)), written: written)
    }
}
