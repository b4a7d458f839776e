import Foundation
import MLGateCore

/// The HTML report of a drift check (`mlgate monitor check --html FILE`): the verdict, a table of every column, and
/// per column the reference and current distributions overlaid, the drifted columns first.
package enum DriftPage {
    /// The whole page for `report`.
    package static func html(_ report: DriftReport) -> String {
        let verdict = report.drifted
            ? #"<span class="badge bad">DRIFT</span>"#
            : #"<span class="badge good">no drift</span>"#
        var body = """
            <div class="summary">\(verdict)
            <span>\(report.driftedColumns.count) of \(report.columns.count) columns drifted (dataset drift from \(percent(report.driftShare)))</span>
            <span class="muted">preset \(HTMLPage.escape(report.preset)) · reference \(HTMLPage.escape(report.reference)) (\(report.referenceRows) rows) · current \(HTMLPage.escape(report.current)) (\(report.currentRows) rows)</span>
            </div>
            \(signals(report))
            <p class="legend muted"><span class="ref" style="background:var(--a)"></span>reference<span style="background:var(--b)"></span>current</p>
            """
        let ordered = report.columns.enumerated().sorted { ($0.element.drifted ? 0 : 1, $0.offset) < ($1.element.drifted ? 0 : 1, $1.offset) }.map(\.element)
        body += #"<h2>Columns</h2><div class="table"><table><thead><tr><th>column</th><th>kind</th><th>method</th><th>statistic</th><th>threshold</th><th>drift</th><th>n reference</th><th>n current</th><th>missing</th><th>not a number</th><th>out of range</th><th>new categories</th></tr></thead><tbody>"#
        for column in ordered {
            body += "<tr><td>\(HTMLPage.escape(column.name))</td><td>\(column.kind)</td><td>\(column.method)</td>"
            body += "<td class=\"num\">\(number(column.score))\(column.scoreKind == "p_value" ? " (p)" : "")</td><td class=\"num\">\(number(column.threshold))</td>"
            body += "<td>\(column.drifted ? "<strong>yes</strong>" : "no")</td><td class=\"num\">\(column.referenceRows)</td><td class=\"num\">\(column.currentRows)</td>"
            body += "<td class=\"num\">\(percent(column.nullRate))</td><td class=\"num\">\(percent(column.typeErrorRate))</td><td class=\"num\">\(percent(column.outOfRangeRate))</td><td class=\"num\">\(percent(column.newCategoryRate))</td></tr>"
        }
        body += "</tbody></table></div><h2>Distributions</h2><div class=\"grid\">"
        for column in ordered {
            body += "<section class=\"card\(column.drifted ? " drifted" : "")\"><h3>\(HTMLPage.escape(column.name))\(column.drifted ? " — drifted" : "")</h3>"
            body += "<div class=\"muted\">\(column.method) \(number(column.score)) against \(number(column.threshold))</div>"
            body += bars(column.distribution, title: column.name) + "</section>"
        }
        if let prediction = report.prediction {
            body += "<h2>Predictions</h2><div class=\"grid\"><section class=\"card\(prediction.drifted ? " drifted" : "")\"><h3>\(HTMLPage.escape(prediction.name))\(prediction.drifted ? " — drifted" : "")</h3>"
            body += "<div class=\"muted\">\(prediction.method) \(number(prediction.score)) against \(number(prediction.threshold))</div>"
            body += bars(prediction.distribution, title: prediction.name) + "</section></div>"
        }
        body += "</div>"
        return HTMLPage(title: "Drift of \(report.model)", body: body).html
    }

    /// The lines under the verdict: the prediction and performance signals, and the columns the current data lacks.
    static func signals(_ report: DriftReport) -> String {
        var lines: [String] = []
        if let prediction = report.prediction {
            lines.append("prediction <strong>\(HTMLPage.escape(prediction.name))</strong>: \(prediction.method) \(number(prediction.score)) against \(number(prediction.threshold)) — \(prediction.drifted ? "<strong>drifted</strong>" : "no drift")")
        }
        if !report.missingColumns.isEmpty {
            lines.append("missing from the current data, not judged: <strong>\(HTMLPage.escape(report.missingColumns.joined(separator: ", ")))</strong>")
        }
        if let performance = report.performance {
            let bound = "\(performance.boundKind) \(number(performance.bound))"
            lines.append(performance.value.map { "performance <strong>\(performance.metric)</strong> \(number($0)) on \(performance.rows) labelled rows against its \(bound) — \(performance.degraded ? "<strong>degraded</strong>" : "ok")" }
                         ?? "performance \(performance.metric): not judged (\(HTMLPage.escape(performance.note ?? "no value"))), its \(bound)")
        }
        return lines.isEmpty ? "" : "<ul class=\"signals\">" + lines.map { "<li>\($0)</li>" }.joined() + "</ul>"
    }

    /// Overlaid bars: for each bin, the reference's share beside the current data's.
    static func bars(_ distribution: DriftReport.Distribution, title: String) -> String {
        let width = 320.0, height = 170.0, left = 6.0, bottom = 150.0, top = 10.0
        let count = distribution.labels.count
        guard count > 0 else { return "<p class=\"muted\">no values</p>" }
        let highest = max((distribution.reference + distribution.current).max() ?? 0, 1e-12)
        let slot = (width - 2 * left) / Double(count)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLPage.escape(title)): reference and current distributions\">"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - left)\" y2=\"\(bottom)\"/>"
        for index in 0..<count {
            let x = left + Double(index) * slot
            for (offset, (share, style)) in [(distribution.reference[index], "ref"), (distribution.current[index], "cur")].enumerated() {
                let barHeight = (bottom - top) * share / highest
                svg += "<rect class=\"\(style)\" fill-opacity=\"0.75\" x=\"\(rounded(x + slot * (0.1 + 0.4 * Double(offset))))\" y=\"\(rounded(bottom - barHeight))\" "
                svg += "width=\"\(rounded(slot * 0.4))\" height=\"\(rounded(barHeight))\"><title>\(HTMLPage.escape(distribution.labels[index])): \(style == "ref" ? "reference" : "current") \(percent(share))</title></rect>"
            }
        }
        if count <= 8 {
            // Few bins (categories): each one named under its bars.
            for (index, label) in distribution.labels.enumerated() {
                svg += "<text x=\"\(rounded(left + (Double(index) + 0.5) * slot))\" y=\"\(height - 4)\" text-anchor=\"middle\">\(HTMLPage.escape(String(label.prefix(14))))</text>"
            }
        } else {
            let first = HTMLPage.escape(distribution.labels[0]), last = HTMLPage.escape(distribution.labels[count - 1])
            svg += "<text x=\"\(left)\" y=\"\(height - 4)\">\(first)</text>"
            svg += "<text x=\"\(width - left)\" y=\"\(height - 4)\" text-anchor=\"end\">\(last)</text>"
        }
        return svg + "</svg>"
    }

    static func rounded(_ value: Double) -> String { String(format: "%.1f", value) }
    static func number(_ value: Double) -> String { String(format: abs(value) >= 0.001 || value == 0 ? "%.4f" : "%.2e", value) }
    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
}
