import Foundation
package import MLGateCore
import MLGateWorkspace

/// A gate's verdict for people (text), for CI test reports (JUnit XML) and for pull requests and job summaries (Markdown).
package enum VerdictReport {
    /// The verdict as terminal text.
    package static func text(_ verdict: Verdict) -> String {
        var lines = ["gate \(verdict.model): \(verdict.passed ? "PASSED" : "FAILED") (\(verdict.require) of \(Set(verdict.criteria.map(\.criterion)).count) criteria, \(verdict.rows) rows)"]
        lines.append("candidate: \(verdict.candidate.name)\(verdict.candidate.artifact.map { " (\($0.prefix(12)))" } ?? "")")
        lines.append("champion:  \(verdict.champion.map { "\($0.name)\($0.artifact.map { " (\($0.prefix(12)))" } ?? "")" } ?? "none")")
        if let note = verdict.note { lines.append("note: \(note)") }
        for result in verdict.criteria {
            lines.append("\(result.passed ? "✓" : "✗") \(result.criterion)\(result.slice.map { " [\($0)]" } ?? "")")
            lines.append("    " + result.reasons.joined(separator: "; "))
            if let test = result.test {
                lines.append("    \(test.test): advantage \(number(test.estimate)), \(Int((test.level * 100).rounded()))% CI [\(number(test.lower)), \(number(test.upper))]\(pValue(test, sided: true)), n = \(test.n)")
            }
        }
        lines.append("reproduce: \(verdict.reproduce)")
        return lines.joined(separator: "\n")
    }

    /// JUnit XML: one test suite per model, one test case per criterion (and slice), a failure element with the reasons.
    package static func junit(_ verdicts: [Verdict]) -> String {
        let total = verdicts.reduce(0) { $0 + $1.criteria.count }
        let failed = verdicts.reduce(0) { $0 + $1.criteria.filter { !$0.passed }.count }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites name="mlgate gate" tests="\#(total)" failures="\#(failed)">"# + "\n"
        for verdict in verdicts {
            let failures = verdict.criteria.filter { !$0.passed }.count
            xml += #"  <testsuite name="mlgate gate \#(escape(verdict.model))" tests="\#(verdict.criteria.count)" failures="\#(failures)" errors="0">"# + "\n"
            for result in verdict.criteria {
                let name = result.criterion + (result.slice.map { " [\($0)]" } ?? "")
                xml += #"    <testcase classname="mlgate.gate.\#(escape(verdict.model))" name="\#(escape(name))">"#
                if result.passed {
                    xml += "<system-out>\(escape(result.reasons.joined(separator: "; ")))</system-out></testcase>\n"
                } else {
                    xml += "\n      " + #"<failure message="\#(escape(result.reasons.joined(separator: "; ")))">"# + escape(evidence(result)) + "</failure>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    /// A Markdown summary: the decision, then a table of criteria with their evidence.
    package static func markdown(_ verdict: Verdict) -> String {
        var lines = ["## mlgate gate `\(verdict.model)`: \(verdict.passed ? "✅ passed" : "❌ failed")", ""]
        lines.append("Candidate **\(verdict.candidate.name)** against **\(verdict.champion?.name ?? "no champion")** on \(verdict.rows) rows (\(verdict.require) criteria must pass).")
        if let note = verdict.note { lines += ["", "> \(note)"] }
        lines += ["", "| | criterion | candidate | champion | test | why |", "|---|---|---|---|---|---|"]
        for result in verdict.criteria {
            let test = result.test.map { "\($0.test): \(number($0.estimate)) [\(number($0.lower)), \(number($0.upper))]\(pValue($0))" } ?? ""
            lines.append("| \(result.passed ? "✅" : "❌") | \(cell(result.criterion + (result.slice.map { " [\($0)]" } ?? ""))) | \(result.candidate.map(number) ?? "—") | \(result.champion.map(number) ?? "—") | \(cell(test)) | \(cell(result.reasons.joined(separator: "; "))) |")
        }
        lines += ["", "Reproduce: `\(verdict.reproduce)`"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func evidence(_ result: CriterionResult) -> String {
        var parts = ["candidate \(result.candidate.map(number) ?? "undefined")", "champion \(result.champion.map(number) ?? "none")", "n \(result.n)"]
        if let test = result.test { parts.append("\(test.test) \(number(test.estimate)) [\(number(test.lower)), \(number(test.upper))]\(pValue(test))") }
        return parts.joined(separator: ", ")
    }

    private static func number(_ value: Double) -> String { String(format: "%.4g", value) }

    /// `, p = 0.2237` (or `, p < 1e-16`) as every report writes a test's p-value (`GateRules.formatP`), or "" without one.
    private static func pValue(_ test: TestEvidence, sided: Bool = false) -> String {
        test.pValue.map { ", \(sided ? "one-sided " : "")p \(GateRules.formatP($0))" } ?? ""
    }

    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
