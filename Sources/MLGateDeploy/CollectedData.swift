package import Foundation
package import MLGateCore
package import MLGateWorkspace
import MLGateSystem

/// Where an endpoint's collected production data lives, in Azure ML's data-collector layout: under the collect
/// root, `{endpoint}/{deployment}/{model_inputs|model_outputs}/YYYY/MM/DD/HH/*.jsonl` from the router, and
/// `{endpoint}/labels/YYYY/MM/DD/HH/*.jsonl` from `mlgate collect labels`.
package enum CollectedData {
    /// The collect root of `settings` (absolute): `collect.path` against the repository, or `.mlgate/collected`.
    package static func root(_ settings: CollectSettings, workspace: Workspace) -> String {
        guard let path = settings.path else { return workspace.layout.directory + "/collected" }
        return path.hasPrefix("/") ? path : ((workspace.root + "/" + path) as NSString).standardizingPath
    }

    /// `YYYY/MM/DD/HH` of `time`, in UTC.
    package static func hourFolder(_ time: Date) -> String {
        var seconds = time_t(time.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)/\(two(parts.tm_mon + 1))/\(two(parts.tm_mday))/\(two(parts.tm_hour))"
    }

    /// A record time as Azure writes it (`2026-12-03T16:47:57Z`).
    package static func timestamp(_ time: Date) -> String { ISO8601DateFormatter().string(from: time) }

    /// What the router recorded of each request: its body, or its answer.
    package enum Kind: String, Sendable {
        case inputs = "model_inputs"
        case outputs = "model_outputs"
    }

    /// The correlation ids of every request input collected for `endpoint` under `root`.
    package static func correlationIDs(root: String, endpoint: String) -> Set<String> {
        var ids: Set<String> = []
        forEachRecord(root: root, endpoint: endpoint, kind: Kind.inputs.rawValue, since: nil) { record in
            if let id = record["correlationid"] as? String { ids.insert(id) }
        }
        return ids
    }

    /// Collected rows by column: each row's cells as text (missing cells empty), and each row's request id.
    package struct Rows: Sendable {
        /// The cells of each column, one per row.
        package var values: [String: [String]] = [:]
        /// The request id (`correlationid`) each row came from.
        package var correlations: [String] = []
        /// How many records (requests) the rows came from.
        package var records = 0
        /// How many rows there are.
        package var count: Int { correlations.count }
    }

    /// The rows of the request inputs or answers collected for `endpoint` under `root` that `model`'s versions
    /// answered, from `since` on (every one when nil): each record's `data` rows (objects) as text cells by column.
    /// Rows that are bare values (an answer `{"scores": [0.2, 0.9]}` is collected as `[0.2, 0.9]`) are read as one
    /// column named `valueColumn`, and skipped when it is nil.
    package static func rows(_ kind: Kind, root: String, endpoint: String, model: String, since: Date?, valueColumn: String? = nil) -> Rows {
        var rows = Rows()
        forEachRecord(root: root, endpoint: endpoint, kind: kind.rawValue, since: since) { record in
            guard let version = record["modelversion"] as? String, (try? ModelURI(parsing: version))?.name == model,
                  let data = record["data"] else { return }
            func object(_ row: Any) -> [String: Any]? { row as? [String: Any] ?? valueColumn.map { [$0: row] } }
            let objects = data is [String: Any] ? [data].compactMap(object) : ((data as? [Any]) ?? [data]).compactMap(object)
            guard !objects.isEmpty else { return }
            rows.records += 1
            let id = record["correlationid"] as? String ?? ""
            for object in objects {
                for key in object.keys where rows.values[key] == nil { rows.values[key] = Array(repeating: "", count: rows.count) }
                for key in rows.values.keys { rows.values[key, default: []].append(object[key].map(cell) ?? "") }
                rows.correlations.append(id)
            }
        }
        return rows
    }

    /// The ground truth recorded for `endpoint` under `root` by `mlgate collect labels`: each request id's label as a
    /// text cell, the latest record winning.
    package static func labels(root: String, endpoint: String) -> [String: String] {
        var labels: [String: String] = [:]
        forEachRecord(root: root, endpoint: endpoint, kind: "labels", since: nil) { record in
            guard let id = record["correlationid"] as? String, let data = record["data"] as? [String: Any], let label = data["label"] else { return }
            labels[id] = cell(label)
        }
        return labels
    }

    /// Calls `body` with every record of the `kind` folders (`model_inputs`, `model_outputs`, `labels`) under an
    /// endpoint's folder, in path (and so time) order, from `since` on: hours before it are not read.
    static func forEachRecord(root: String, endpoint: String, kind: String, since: Date?, _ body: ([String: Any]) -> Void) {
        let folder = root + "/" + endpoint
        let earliest = since.map(timestamp)
        let earliestHour = since.map(hourFolder)
        let marker = "/" + kind + "/"
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jsonl") && ("/" + $0).contains(marker) }.sorted()
        for file in files {
            // …/KIND/YYYY/MM/DD/HH/name.jsonl
            if let earliestHour, let range = ("/" + file).range(of: marker) {
                let hour = ("/" + file)[range.upperBound...].split(separator: "/").prefix(4).joined(separator: "/")
                if hour < earliestHour { continue }
            }
            guard let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if let earliest, let time = record["time"] as? String, time < earliest { continue }
                body(record)
            }
        }
    }

    /// A JSON value as a text cell: numbers and strings as written, null empty, anything else as JSON.
    static func cell(_ value: Any) -> String {
        switch value {
        case let string as String: return string
        case let number as NSNumber:
            // JSONSerialization gives true and false as NSNumbers of a boolean class.
            if String(describing: type(of: number)).contains("Boolean") { return number.boolValue ? "true" : "false" }
            return number.stringValue
        case is NSNull: return ""
        default:
            return (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// A window such as `24h`, `90m`, `7d` or `3600s`, in seconds; nil when it is not one.
    package static func window(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let count = Double(text.dropLast()), count > 0 else { return nil }
        switch unit {
        case "s": return count
        case "m": return count * 60
        case "h": return count * 3600
        case "d": return count * 86_400
        default: return nil
        }
    }
}
