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
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jsonl") && $0.contains("/model_inputs/") }
        for file in files {
            guard let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let id = object["correlationid"] as? String else { continue }
                ids.insert(id)
            }
        }
        return ids
    }
}
