import ArgumentParser
import MLGateDeploy
import Foundation
import MLGateCore
import MLGateMonitor
import MLGateWorkspace
import MLGateRegistry
import MLGateStore

/// `mlgate monitor`: drift of production data against what the model was trained on.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Check a model's production data for drift against its training data, and show the trend.",
        discussion: """
            A model's 'monitor' in mlgate.yaml names its reference (the training data) and its current data (a file \
            or a folder of files with the same columns), and a preset: evidently (KS or chi-square at p 0.05 for a \
            reference of at most 1,000 rows, else normalised Wasserstein 0.1 or Jensen-Shannon 0.1) or azure \
            (normalised Wasserstein 0.1 for numbers, Jensen-Shannon base 2 0.1 for categories). The dataset \
            drifted when at least 'drift_share' (0.5) of its columns did. With 'prediction', the model's output is \
            judged too, against its outputs on the reference; with 'performance', a metric on the production rows whose \
            true outcome is known (mlgate collect labels) against its bound. Any of the three exits 1. Every check is \
            recorded. A version registered while its model had a monitor carries a profile: the reference as it was \
            then, which the checks of the champion compare with.
            """,
        subcommands: [Check.self, History.self, Profile.self],
        defaultSubcommand: Check.self
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Judge each column's drift, the dataset's, the predictions' and the performance; exit 0 no drift, 1 drift, 2 bad input.")

        @Argument(help: "The model, as declared under 'models:' in mlgate.yaml.")
        var model: String

        @Option(help: "The current data (default: the monitor's 'current').")
        var current: String?

        @Option(help: "Check the request inputs this endpoint collected for the model instead of files (docs/serving.md).")
        var endpoint: String?

        @Option(help: "With --endpoint: only what was collected in this last span, such as 24h, 90m or 7d.")
        var window: String?

        @Option(help: "With --endpoint: only what was collected from this time on (ISO 8601, such as 2026-12-03T00:00:00Z).")
        var since: String?

        func validate() throws {
            if endpoint == nil, window != nil || since != nil { throw ValidationError("--window and --since select collected data; give --endpoint NAME too.") }
            if endpoint != nil, current != nil { throw ValidationError("give the current data as --current PATH or --endpoint NAME, not both.") }
            if window != nil, since != nil { throw ValidationError("give --window or --since, not both.") }
            if let window, CollectedData.window(window) == nil { throw ValidationError("--window '\(window)' is not a span such as 24h, 90m, 7d or 3600s.") }
            if let since, ISO8601DateFormatter().date(from: since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 time such as 2026-12-03T00:00:00Z.") }
        }

        /// Where the data to check comes from.
        var source: MonitorService.Current {
            guard let endpoint else { return .files(current) }
            let start = since.flatMap { ISO8601DateFormatter().date(from: $0) } ?? window.flatMap(CollectedData.window).map { Date(timeIntervalSinceNow: -$0) }
            return .collected(endpoint: endpoint, since: start)
        }

        @Flag(help: "Compare with the monitor's reference files in the repository, not the profile the champion was registered with.")
        var referenceFiles = false

        @Flag(help: "Print the report as JSON (shape in docs/json.md).")
        var json = false

        @Option(help: "Also write the report as one self-contained HTML page to this file: each column's reference and current distributions, the drifted first.")
        var html: String?

        func run() throws {
            let report = try MonitorService(registry: try RegistryContext.current()).check(model, current: source, referenceFiles: referenceFiles)
            if let html {
                try AtomicFile.write(DriftPage.html(report), to: html)
                printError("wrote \(html)")
            }
            if json {
                try Output.json(report)
            } else {
                print("\(model): \(report.drifted ? "DRIFT" : "no drift") in \(report.driftedColumns.count) of \(report.columns.count) columns "
                      + "(dataset drift from \(Int((report.driftShare * 100).rounded()))%; \(report.preset), \(report.referenceRows) reference and \(report.currentRows) current rows)")
                var rows = [["COLUMN", "KIND", "METHOD", "SCORE", "THRESHOLD", "DRIFT", "NULLS", "OUT OF RANGE / NEW"]]
                for column in report.columns.sorted(by: { ($0.drifted ? 0 : 1, $0.name) < ($1.drifted ? 0 : 1, $1.name) }) {
                    rows.append([column.name, column.kind, column.method, Self.format(column.score),
                                 (column.scoreKind == "p_value" ? "p ≤ " : "≥ ") + Self.format(column.threshold), column.drifted ? "yes" : "no",
                                 Self.percent(column.nullRate) + (column.typeErrorRate > 0 ? " +\(Self.percent(column.typeErrorRate)) not numbers" : ""),
                                 Self.percent(column.kind == "numeric" ? column.outOfRangeRate : column.newCategoryRate)])
                }
                Output.table(rows)
                if !report.missingColumns.isEmpty {
                    print("missing from the current data, not judged: \(report.missingColumns.joined(separator: ", "))")
                }
                if let prediction = report.prediction {
                    print("prediction \(prediction.name): \(prediction.method) \(Self.format(prediction.score)) against \(prediction.scoreKind == "p_value" ? "p ≤ " : "≥ ")"
                          + "\(Self.format(prediction.threshold)), \(prediction.drifted ? "DRIFT" : "no drift") (\(prediction.referenceRows) reference and \(prediction.currentRows) current outputs)")
                }
                if let performance = report.performance {
                    let bound = "\(performance.boundKind) \(Self.format(performance.bound))"
                    if let value = performance.value {
                        print("performance \(performance.metric): \(Self.format(value)) on \(performance.rows) labelled rows against its \(bound), \(performance.degraded ? "DEGRADED" : "ok")")
                    } else {
                        print("performance \(performance.metric): not judged (\(performance.note ?? "no value")), its \(bound)")
                    }
                }
            }
            if report.drifted { throw ExitCode(1) }
        }

        static func format(_ value: Double) -> String {
            value != 0 && abs(value) < 1e-4 ? String(format: "%.3g", value) : String(format: "%.4f", value)
        }

        static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    }

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "profile",
            abstract: "Show the reference a version was registered with: where it came from, its rows and columns.",
            discussion: """
                When a version of a model with a 'monitor' is registered, its reference data (and its prediction \
                reference) are captured into the object store: the profile. Checks of the champion compare production \
                with it, so rewriting the files later does not move the baseline. Without VERSION, the version in the \
                champion stage.
                """)

        @Argument(help: "The model.")
        var model: String

        @Argument(help: "The version number (default: the version in the model's champion stage).")
        var version: Int?

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let spec = try registry.workspace.configuration().models.first { $0.name == model }
            let found: ModelVersion
            if let version {
                found = try registry.store.resolve(ModelURI(name: model, selector: .version(version)))
            } else {
                let stage = spec?.promotion.champion ?? "production"
                guard let champion = try registry.store.version(model: model, inStage: stage) else {
                    throw UsageError("no version of '\(model)' is in its champion stage '\(stage)'; give the version: mlgate monitor profile \(model) N.")
                }
                found = champion
            }
            let summary = try ProfileSummary.of(found, spec: spec?.monitor, registry: registry)
            if json { return try Output.json(summary) }
            print("\(summary.version): profile \(summary.profile.prefix(12)) captured \(summary.capturedAt) at \(summary.commit.map { String($0.prefix(10)) } ?? "no commit")")
            print("reference \(summary.reference), \(summary.rows) rows" + (summary.predictions.map { "; predictions \($0)" } ?? ""))
            var rows = [["COLUMN", "KIND", "NULLS", "MIN", "MAX", "MEAN", "DISTINCT", "MOST FREQUENT"]]
            for column in summary.columns {
                rows.append([column.name, column.kind, Check.percent(column.nullRate), column.min.map(Check.format) ?? "-", column.max.map(Check.format) ?? "-",
                             column.mean.map(Check.format) ?? "-", String(column.distinct), column.top.joined(separator: ", ")])
            }
            Output.table(rows)
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "The recorded drift checks of a model, newest first.")

        @Argument(help: "The model.")
        var model: String

        @Option(help: "Show at most this many checks.")
        var limit = 20

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let checks = try MonitorService(registry: try RegistryContext.current()).history(model, limit: limit)
            if json {
                let items = checks.map { check in
                    "{\"checked_at_ms\":\(check.checkedAt),\"current\":\(JSONText.quoted(check.current)),\"drifted\":\(check.drifted),\"id\":\(check.id),"
                        + "\"report\":\(check.json),\"share\":\(check.share),\"version\":\(check.version.map(JSONText.quoted) ?? "null")}"
                }
                return print("{\"checks\":[" + items.joined(separator: ",") + "]}")
            }
            guard !checks.isEmpty else { return print("No drift checks of \(model) yet: run 'mlgate monitor check \(model)'.") }
            var rows = [["#", "WHEN", "VERSION", "DRIFT", "SHARE", "CURRENT"]]
            for check in checks {
                rows.append([String(check.id), Output.shortDate(check.checkedAt / 1000, offsetMinutes: 0), check.version ?? "-",
                             check.drifted ? "yes" : "no", Check.percent(check.share), check.current])
            }
            Output.table(rows)
        }
    }
}
