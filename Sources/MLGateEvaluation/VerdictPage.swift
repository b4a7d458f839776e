import Foundation
package import MLGateCore
import MLGateEval

/// The HTML report of a gate (`mlgate gate --html FILE`, and `gate-MODEL.html` among `mlgate ci`'s reports): the
/// decision, the candidate's and the champion's ROC and precision–recall curves on the rows judged, each criterion
/// with its evidence and interval, and the per-slice results. One self-contained page (`HTMLPage`).
package enum VerdictPage {
    /// The whole page for `verdict`, drawing `curves` (none for a task without them).
    package static func html(_ verdict: Verdict, curves: [RankingCurves]) -> String {
        let badge = verdict.passed ? #"<span class="badge good">PASSED</span>"# : #"<span class="badge bad">FAILED</span>"#
        var body = """
            <div class="summary">\(badge)
            <span>candidate <strong>\(HTMLPage.escape(verdict.candidate.name))</strong> against <strong>\(HTMLPage.escape(verdict.champion?.name ?? "no champion"))</strong> on \(verdict.rows) rows</span>
            <span class="muted">\(verdict.require == "all" ? "every criterion must pass" : "one criterion must pass")</span>
            </div>
            """
        if let note = verdict.note { body += "<p class=\"muted\">\(HTMLPage.escape(note))</p>" }
        if !curves.isEmpty {
            body += "<h2>Curves</h2>" + legend(curves) + "<div class=\"grid\">"
            body += card("ROC", chart(curves, title: "ROC", x: "false positive rate", y: "true positive rate", diagonal: true) {
                ($0.roc.falsePositiveRate, $0.roc.truePositiveRate)
            })
            body += card("Precision–recall", chart(curves, title: "Precision–recall", x: "recall", y: "precision", diagonal: false) {
                ($0.precisionRecall.recall, $0.precisionRecall.precision)
            })
            body += "</div>"
        }
        let overall = verdict.criteria.filter { $0.slice == nil }, slices = verdict.criteria.filter { $0.slice != nil }
        if !overall.isEmpty {
            body += "<h2>Criteria</h2><div class=\"table\"><table><thead><tr><th></th><th>criterion</th><th>candidate</th><th>champion</th>"
            body += "<th>difference</th><th>test</th><th>interval</th><th>n</th><th>why</th></tr></thead><tbody>"
            for result in overall { body += row(result) }
            body += "</tbody></table></div>"
        }
        if !slices.isEmpty {
            body += "<h2>Slices</h2><div class=\"table\"><table><thead><tr><th></th><th>slice</th><th>criterion</th><th>candidate</th>"
            body += "<th>champion</th><th>difference</th><th>rows</th><th>why</th></tr></thead><tbody>"
            for result in slices {
                body += "<tr><td>\(mark(result.passed))</td><td>\(HTMLPage.escape(result.slice ?? ""))</td><td>\(HTMLPage.escape(result.criterion))</td>"
                body += "<td class=\"num\">\(number(result.candidate))</td><td class=\"num\">\(number(result.champion))</td><td class=\"num\">\(number(result.difference))</td>"
                body += "<td class=\"num\">\(result.n)</td><td>\(HTMLPage.escape(result.reasons.joined(separator: "; ")))</td></tr>"
            }
            body += "</tbody></table></div>"
        }
        body += "<h2>Reproduce</h2><p><code>\(HTMLPage.escape(verdict.reproduce))</code></p>"
        return HTMLPage(title: "Gate of \(verdict.model)", body: body).html
    }

    private static func row(_ result: CriterionResult) -> String {
        var cells = "<tr><td>\(mark(result.passed))</td><td>\(HTMLPage.escape(result.criterion))</td>"
        cells += "<td class=\"num\">\(number(result.candidate))</td><td class=\"num\">\(number(result.champion))</td><td class=\"num\">\(number(result.difference))</td>"
        if let test = result.test {
            let p = test.pValue.map { ", p \(GateRules.formatP($0))" } ?? ""
            cells += "<td>\(HTMLPage.escape(test.test)) \(number(test.estimate)), \(Int((test.level * 100).rounded()))% [\(number(test.lower)), \(number(test.upper))]\(p)</td>"
            cells += "<td>\(interval(test, passed: result.passed))</td>"
        } else {
            cells += "<td class=\"muted\">—</td><td></td>"
        }
        return cells + "<td class=\"num\">\(result.n)</td><td>\(HTMLPage.escape(result.reasons.joined(separator: "; ")))</td></tr>"
    }

    /// The test's interval as a bar on an axis through zero (the candidate better to the right), its estimate a dot.
    private static func interval(_ test: TestEvidence, passed: Bool) -> String {
        let reach = max(abs(test.lower), abs(test.upper), abs(test.estimate), 1e-9) * 1.15
        func x(_ value: Double) -> String { rounded(80 + 70 * value / reach) }
        let style = passed ? "var(--good)" : "var(--bad)"
        return "<svg class=\"interval\" viewBox=\"0 0 160 22\" width=\"160\" role=\"img\" aria-label=\"interval \(number(test.lower)) to \(number(test.upper))\">"
            + "<line class=\"axis\" x1=\"80\" y1=\"2\" x2=\"80\" y2=\"20\"/>"
            + "<line x1=\"\(x(test.lower))\" y1=\"11\" x2=\"\(x(test.upper))\" y2=\"11\" stroke=\"\(style)\" stroke-width=\"4\" stroke-linecap=\"round\"/>"
            + "<circle cx=\"\(x(test.estimate))\" cy=\"11\" r=\"4\" fill=\"\(style)\"/></svg>"
    }

    private static func legend(_ curves: [RankingCurves]) -> String {
        var text = "<p class=\"legend muted\">"
        for curve in curves {
            let colour = curve.role == "champion" ? "var(--a)" : "var(--b)"
            let areas = "ROC AUC \(number(curve.rocAUC)), average precision \(number(curve.averagePrecision))"
            text += "<span style=\"background:\(colour)\"></span>\(curve.role) \(HTMLPage.escape(curve.name)) (\(areas))"
        }
        return text + "</p>"
    }

    private static func card(_ title: String, _ content: String) -> String {
        "<section class=\"card\"><h3>\(title)</h3>\(content)</section>"
    }

    /// Each curve as a line over the unit square, the champion's first so that the candidate's is drawn on top.
    private static func chart(_ curves: [RankingCurves], title: String, x: String, y: String, diagonal: Bool,
                              points: (RankingCurves) -> ([Double], [Double])) -> String {
        let size = 300.0, left = 38.0, top = 8.0, bottom = 34.0
        let plot = size - left - 8
        func px(_ value: Double) -> String { rounded(left + plot * min(max(value, 0), 1)) }
        func py(_ value: Double) -> String { rounded(top + plot * (1 - min(max(value, 0), 1))) }
        var svg = "<svg viewBox=\"0 0 \(Int(size)) \(Int(size + top + bottom - 8))\" role=\"img\" aria-label=\"\(title) curves\">"
        svg += "<rect class=\"axis\" fill=\"none\" x=\"\(left)\" y=\"\(top)\" width=\"\(plot)\" height=\"\(plot)\"/>"
        for tick in [0.0, 0.5, 1.0] {
            svg += "<text x=\"\(px(tick))\" y=\"\(rounded(top + plot + 14))\" text-anchor=\"middle\">\(tick)</text>"
            svg += "<text x=\"\(rounded(left - 4))\" y=\"\(rounded(top + plot * (1 - tick) + 4))\" text-anchor=\"end\">\(tick)</text>"
        }
        svg += "<text x=\"\(rounded(left + plot / 2))\" y=\"\(rounded(top + plot + 28))\" text-anchor=\"middle\">\(x)</text>"
        svg += "<text x=\"10\" y=\"\(rounded(top + plot / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 10 \(rounded(top + plot / 2)))\">\(y)</text>"
        if diagonal { svg += "<line class=\"axis\" stroke-dasharray=\"4 4\" x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(1))\" y2=\"\(py(1))\"/>" }
        for curve in curves.sorted(by: { ($0.role == "champion" ? 0 : 1) < ($1.role == "champion" ? 0 : 1) }) {
            let (xs, ys) = points(curve)
            let kept = thinned(count: min(xs.count, ys.count))
            let line = kept.map { "\(px(xs[$0])),\(py(ys[$0]))" }.joined(separator: " ")
            svg += "<polyline class=\"\(curve.role == "champion" ? "ref" : "cur")\" style=\"fill:none\" stroke-width=\"2\" points=\"\(line)\"><title>\(curve.role) \(HTMLPage.escape(curve.name))</title></polyline>"
        }
        return svg + "</svg>"
    }

    /// At most about 1,000 evenly spaced point indices of `count`, always the first and the last: a curve of a
    /// million thresholds draws the same at this size, in a page that stays small.
    static func thinned(count: Int) -> [Int] {
        guard count > 1_000 else { return Array(0..<count) }
        let step = Double(count - 1) / 999
        return (0..<1_000).map { Int((Double($0) * step).rounded()) }
    }

    private static func mark(_ passed: Bool) -> String {
        passed ? "<span style=\"color:var(--good)\">✓</span>" : "<span style=\"color:var(--bad)\">✗</span>"
    }

    private static func number(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "—" }
    private static func rounded(_ value: Double) -> String { String(format: "%.1f", value) }
}
