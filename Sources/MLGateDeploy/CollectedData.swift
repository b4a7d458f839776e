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

    /// The correlation ids of every request input collected for `endpoint` under `root`.
    package static func correlationIDs(root: String, endpoint: String) -> Set<String> {
        let folder = root + "/" + endpoint
        var ids: Set<String> = []
        for file in inputFiles(folder) {
            guard let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = object["correlationid"] as? String else { continue }
                ids.insert(id)
            }
        }
        return ids
    }

    /// The rows of the request inputs collected for `endpoint` under `root` that `model`'s versions answered, from
    /// `since` on (every one when nil): each record's `data` rows (objects) as text cells by column, missing cells
    /// empty. Also the number of records read.
    package static func inputRows(root: String, endpoint: String, model: String, since: Date?) -> (values: [String: [String]], rows: Int, records: Int) {
        let folder = root + "/" + endpoint
        let earliest = since.map(timestamp)
        let earliestHour = since.map(hourFolder)
        var columns: [String: [String]] = [:]
        var rows = 0, records = 0
        for file in inputFiles(folder) {
            // …/model_inputs/YYYY/MM/DD/HH/name.jsonl: hours before the window are not read.
            if let earliestHour, let range = file.range(of: "/model_inputs/") {
                let hour = file[range.upperBound...].split(separator: "/").prefix(4).joined(separator: "/")
                if hour < earliestHour { continue }
            }
            guard let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let version = record["modelversion"] as? String, (try? ModelURI(parsing: version))?.name == model else { continue }
                if let earliest, let time = record["time"] as? String, time < earliest { continue }
                let data = record["data"]
                let objects = (data as? [[String: Any]]) ?? (data as? [String: Any]).map { [$0] } ?? []
                guard !objects.isEmpty else { continue }
                records += 1
                for object in objects {
                    for key in object.keys where columns[key] == nil { columns[key] = Array(repeating: "", count: rows) }
                    for key in columns.keys { columns[key, default: []].append(object[key].map(cell) ?? "") }
                    rows += 1
                }
            }
        }
        return (columns, rows, records)
    }

    /// The request-input files under an endpoint's `folder`, relative to it, in path (and so time) order.
    static func inputFiles(_ folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jsonl") && $0.contains("/model_inputs/") }.sorted()
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
